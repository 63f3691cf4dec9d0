import { useMemo, useState } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { api, must, type Campaign, type CampaignStatus } from '../api/client';
import { describeError } from '../api/errors';
import { keys, listAllCampaigns } from '../api/queries';
import { useMe } from '../auth/me';
import { StatusBadge } from '../components/StatusBadge';

const PAGE = 15;
const STATUSES: CampaignStatus[] = ['draft', 'scheduled', 'active', 'paused', 'completed', 'cancelled', 'failed', 'archived'];
const ALL: SelectProps.Option = { value: '', label: 'Any status' };

/** Progress from the contacts-by-status counts of the campaign's metrics (one request per visible row). */
function Progress({ contacts }: { contacts?: Record<string, number | undefined> }) {
  if (!contacts) return <Box color="text-status-inactive">…</Box>;
  const v = (k: string) => contacts[k] ?? 0;
  const total = v('pending') + v('in_progress') + v('completed') + v('failed') + v('blacklisted');
  if (total === 0) return <Box color="text-status-inactive">no contacts</Box>;
  const done = v('completed') + v('failed') + v('blacklisted');
  return <ProgressBar value={Math.round((done / total) * 100)} additionalInfo={`${done} of ${total} contacts done`} />;
}

export default function Campaigns() {
  const navigate = useNavigate();
  const me = useMe();
  const canManage = me.data?.can.manage_campaigns ?? false;
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState<SelectProps.Option>(ALL);
  const [page, setPage] = useState(1);
  const statusValue = (status.value || undefined) as CampaignStatus | undefined;

  // Listing campaigns is a manager route; analysts get the overview of the dashboard instead.
  const list = useQuery({
    queryKey: keys.campaigns(statusValue),
    queryFn: () => listAllCampaigns(statusValue),
    enabled: canManage,
  });

  const filtered = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const items = list.data ?? [];
    return q ? items.filter((c) => c.name.toLowerCase().includes(q) || c.id.toLowerCase().includes(q) || c.kind.includes(q)) : items;
  }, [list.data, filter]);
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const visible = filtered.slice((Math.min(page, pages) - 1) * PAGE, Math.min(page, pages) * PAGE);

  const metrics = useQueries({
    queries: visible.map((c) => ({
      queryKey: keys.metrics(c.id),
      queryFn: () => must(api.GET('/api/campaigns/{id}/metrics', { params: { path: { id: c.id } } })),
      staleTime: 10_000,
    })),
  });
  const contactsOf = (id: string) => {
    const i = visible.findIndex((c) => c.id === id);
    return metrics[i]?.data?.contacts as Record<string, number | undefined> | undefined;
  };

  if (me.data && !canManage) {
    return (
      <SpaceBetween size="m">
        <Header variant="h1" description="Campaigns are managed by campaign managers and administrators.">
          Campaigns
        </Header>
        <Alert type="info" header="Read-only role">
          Your role ({me.data.role}) reads metrics and reports. See the{' '}
          <Link href="/dashboard" onFollow={(e) => (e.preventDefault(), navigate('/dashboard'))}>
            live dashboard
          </Link>{' '}
          or{' '}
          <Link href="/reports" onFollow={(e) => (e.preventDefault(), navigate('/reports'))}>
            reports
          </Link>
          .
        </Alert>
      </SpaceBetween>
    );
  }

  return (
    <Table<Campaign>
      variant="full-page"
      loading={list.isLoading || me.isLoading}
      loadingText="Loading campaigns"
      items={visible}
      trackBy="id"
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={list.data ? `(${filtered.length})` : undefined}
          description="Every campaign, its status and how far it has got."
          actions={
            canManage && (
              <Button variant="primary" onClick={() => navigate('/campaigns/new')}>
                Create campaign
              </Button>
            )
          }
        >
          Campaigns
        </Header>
      }
      filter={
        <SpaceBetween direction="horizontal" size="s">
          <TextFilter
            filteringText={filter}
            filteringPlaceholder="Find by name or id"
            filteringAriaLabel="Find campaigns"
            countText={`${filtered.length} matches`}
            onChange={(e) => {
              setFilter(e.detail.filteringText);
              setPage(1);
            }}
          />
          <Select
            selectedOption={status}
            ariaLabel="Status"
            options={[ALL, ...STATUSES.map((s) => ({ value: s, label: s }))]}
            onChange={(e) => {
              setStatus(e.detail.selectedOption);
              setPage(1);
            }}
          />
        </SpaceBetween>
      }
      pagination={<Pagination currentPageIndex={Math.min(page, pages)} pagesCount={pages} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
      empty={
        list.isError ? (
          <Alert type="error" header="Could not list campaigns">
            {describeError(list.error)}
          </Alert>
        ) : (
          <Box textAlign="center" color="inherit">
            <b>No campaigns</b>
            <Box variant="p" color="inherit">
              {filter || status.value ? 'Nothing matches the filter.' : 'Create the first one.'}
            </Box>
          </Box>
        )
      }
      columnDefinitions={[
        {
          id: 'name',
          header: 'Name',
          cell: (c) => (
            <Link href={`/campaigns/${c.id}`} onFollow={(e) => (e.preventDefault(), navigate(`/campaigns/${c.id}`))}>
              <span dir="auto">{c.name}</span>
            </Link>
          ),
          isRowHeader: true,
        },
        { id: 'id', header: 'Id', cell: (c) => c.id },
        { id: 'kind', header: 'Kind', cell: (c) => c.kind },
        { id: 'status', header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
        { id: 'progress', header: 'Progress', cell: (c) => <Progress contacts={contactsOf(c.id)} />, minWidth: 200 },
        { id: 'created', header: 'Created', cell: (c) => (c.created_at ? new Date(c.created_at).toLocaleString() : '') },
      ]}
    />
  );
}
