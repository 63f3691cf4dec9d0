import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import DateRangePicker, { type DateRangePickerProps } from '@cloudscape-design/components/date-range-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import SegmentedControl from '@cloudscape-design/components/segmented-control';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { api, fetchJson, must, type Schemas } from '../api/client';
import { describeError } from '../api/errors';
import { CampaignSelect } from '../components/CampaignPicker';
import { downloadFile } from '../lib/download';
import { flash } from '../lib/flash';

type Format = 'csv' | 'xlsx' | 'pdf';
type ReportLink = Schemas['ReportLink'] & { created_at?: string };

const FORMATS: { id: Format; text: string }[] = [
  { id: 'pdf', text: 'PDF' },
  { id: 'csv', text: 'CSV' },
  { id: 'xlsx', text: 'XLSX' },
];

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function DownloadButton({ r, campaignId }: { r: ReportLink; campaignId: string }) {
  const dl = useMutation({
    mutationFn: () => downloadFile(r.download_path ?? '', `report-${campaignId}-${r.report_id ?? 'x'}.${r.format ?? 'bin'}`),
    onSuccess: (name) => flash('success', `Saved ${name}.`),
    onError: (e) => flash('error', `Could not download the report: ${describeError(e)}`),
  });
  const label = `Download ${r.format?.toUpperCase() ?? ''}`;
  // The accessible name starts with the visible text (so "Download PDF" finds it) and names the report.
  return (
    <Button iconName="download" loading={dl.isPending} disabled={!r.download_path} onClick={() => dl.mutate()} ariaLabel={`${label} report ${r.report_id ?? ''}`.trim()}>
      {label}
    </Button>
  );
}

function Counts({ r }: { r: ReportLink }) {
  const c = r.counts;
  if (!c) return <>—</>;
  return (
    <>
      {c.attempts ?? 0} attempts · {c.answered ?? 0} answered · {c.converted ?? 0} converted
    </>
  );
}

export default function Reports() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const campaignId = params.get('campaign') ?? '';
  const setCampaign = (id: string) => setParams(id ? { campaign: id } : {});
  const [format, setFormat] = useState<Format>('pdf');
  const [range, setRange] = useState<DateRangePickerProps.Value | null>(() => ({
    type: 'absolute',
    startDate: isoDay(new Date(Date.now() - 29 * 86400_000)),
    endDate: isoDay(new Date()),
  }));
  const queryClient = useQueryClient();
  const from = range?.type === 'absolute' ? range.startDate.slice(0, 10) : range ? isoDay(new Date(Date.now() - toMs(range))) : undefined;
  const to = range?.type === 'absolute' ? range.endDate.slice(0, 10) : range ? isoDay(new Date()) : undefined;

  const history = useQuery({
    queryKey: ['reports', campaignId, from ?? '', to ?? ''],
    queryFn: () => {
      const q = new URLSearchParams();
      if (from) q.set('from', from);
      if (to) q.set('to', to);
      return fetchJson<{ items: ReportLink[] }>(`/api/campaigns/${encodeURIComponent(campaignId)}/reports${q.size ? `?${q}` : ''}`);
    },
    enabled: Boolean(campaignId),
  });
  const request = useMutation({
    mutationFn: () => must(api.POST('/api/campaigns/{id}/reports', { params: { path: { id: campaignId } }, body: { format } })) as Promise<ReportLink>,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['reports', campaignId] }),
  });

  return (
    <ContentLayout
      header={
        <Header variant="h1" description="Build a campaign's report as CSV, XLSX or PDF, download it, and find earlier ones." actions={<Button onClick={() => navigate('/reports/compare')}>Compare campaigns</Button>}>
          Reports
        </Header>
      }
    >
      <SpaceBetween size="l">
        <Container header={<Header variant="h2">Request a report</Header>}>
          <SpaceBetween size="m">
            <ColumnLayout columns={2}>
              <FormField label="Campaign">
                <CampaignSelect value={campaignId} onChange={setCampaign} />
              </FormField>
              <FormField label="Format">
                <SegmentedControl selectedId={format} options={FORMATS} onChange={(e) => setFormat(e.detail.selectedId as Format)} label="Format" />
              </FormField>
            </ColumnLayout>
            <Button variant="primary" disabled={!campaignId} loading={request.isPending} onClick={() => request.mutate()}>
              Request report
            </Button>
            {request.isError && <Alert type="error" header="The report was not made">{describeError(request.error)}</Alert>}
            {request.data && (
              <Alert type="success" header={`The ${request.data.format?.toUpperCase()} report is ready`} action={<DownloadButton r={request.data} campaignId={campaignId} />}>
                <Counts r={request.data} />
                {request.data.expires_at ? ` — its link is valid until ${new Date(request.data.expires_at).toLocaleString()}.` : ''}
              </Alert>
            )}
          </SpaceBetween>
        </Container>
        <Table
          header={
            <Header
              variant="h2"
              counter={history.data ? `(${history.data.items.length})` : undefined}
              description="Reports made for the campaign, newest first."
              actions={
                <DateRangePicker
                  value={range}
                  onChange={(e) => setRange(e.detail.value)}
                  rangeSelectorMode="absolute-only"
                  dateOnly
                  placeholder="Filter by date"
                  relativeOptions={[]}
                  isValidRange={(r) =>
                    r?.type === 'absolute' && r.startDate && r.endDate && r.startDate > r.endDate ? { valid: false, errorMessage: 'The start is after the end.' } : { valid: true }
                  }
                  i18nStrings={{ applyButtonLabel: 'Apply', cancelButtonLabel: 'Cancel', clearButtonLabel: 'Clear' }}
                />
              }
            >
              History
            </Header>
          }
          loading={history.isLoading && Boolean(campaignId)}
          loadingText="Loading reports"
          items={history.data?.items ?? []}
          empty={
            !campaignId ? (
              <Box textAlign="center">Choose a campaign.</Box>
            ) : history.isError ? (
              <Alert type="error">{describeError(history.error)}</Alert>
            ) : (
              <Box textAlign="center">No reports in this range.</Box>
            )
          }
          columnDefinitions={[
            { id: 'created', header: 'Made', cell: (r) => (r.created_at ? new Date(r.created_at).toLocaleString() : '—') },
            { id: 'format', header: 'Format', cell: (r) => r.format?.toUpperCase() },
            { id: 'status', header: 'Status', cell: (r) => r.status },
            { id: 'counts', header: 'Counts', cell: (r) => <Counts r={r} /> },
            { id: 'dl', header: '', cell: (r) => <DownloadButton r={r} campaignId={campaignId} /> },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

function toMs(r: DateRangePickerProps.RelativeValue): number {
  const unit: Record<string, number> = { second: 1e3, minute: 6e4, hour: 3.6e6, day: 8.64e7, week: 6.048e8, month: 2.592e9, year: 3.1536e10 };
  return r.amount * (unit[r.unit] ?? 8.64e7);
}
