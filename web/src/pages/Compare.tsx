import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import FormField from '@cloudscape-design/components/form-field';
import Grid from '@cloudscape-design/components/grid';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { fetchJson } from '../api/client';
import { describeError } from '../api/errors';
import { CampaignMultiSelect } from '../components/CampaignPicker';
import { CompareChart } from '../components/MetricsCharts';
import { flatten, pct, type CampaignSnapshot, type Flat } from '../lib/metrics';

interface Row {
  label: string;
  value: (f: Flat) => string;
}

const ROWS: Row[] = [
  { label: 'Attempts', value: (f) => String(f.counts.attempts ?? 0) },
  { label: 'Answered', value: (f) => String(f.counts.answered ?? 0) },
  { label: 'Busy', value: (f) => String(f.counts.busy ?? 0) },
  { label: 'No answer', value: (f) => String(f.counts.no_answer ?? 0) },
  { label: 'Failed', value: (f) => String(f.counts.failed ?? 0) },
  { label: 'Converted', value: (f) => String(f.counts.converted ?? 0) },
  { label: 'Opted out', value: (f) => String(f.counts.opted_out ?? 0) },
  { label: 'Answer rate', value: (f) => pct(f.rates.answer_rate) },
  { label: 'Conversion rate', value: (f) => pct(f.rates.conversion_rate) },
  { label: 'Opt-out rate', value: (f) => pct(f.rates.opt_out_rate) },
  { label: 'Failure rate', value: (f) => pct(f.rates.failure_rate) },
  { label: 'Contacts pending', value: (f) => String(f.contacts.pending ?? 0) },
  { label: 'Contacts completed', value: (f) => String(f.contacts.completed ?? 0) },
  { label: 'Contacts blacklisted', value: (f) => String(f.contacts.blacklisted ?? 0) },
];

export default function Compare() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const ids = (params.get('ids') ?? '').split(',').filter(Boolean);
  const setIds = (next: string[]) => setParams(next.length ? { ids: next.join(',') } : {});
  const q = useQuery({
    queryKey: ['compare', ids.join(',')],
    queryFn: () => fetchJson<{ campaigns: CampaignSnapshot[] }>(`/api/metrics/compare?campaign_ids=${encodeURIComponent(ids.join(','))}`),
    enabled: ids.length >= 2,
    refetchInterval: 10_000,
  });
  const cols = (q.data?.campaigns ?? []).map((c) => ({ c, f: flatten(c), name: c.name || c.campaign_id }));
  return (
    <ContentLayout
      header={
        <Header variant="h1" description="Two or more campaigns side by side." actions={<Button onClick={() => navigate('/reports')}>Reports</Button>}>
          Compare campaigns
        </Header>
      }
    >
      <SpaceBetween size="l">
        <Container>
          <FormField label="Campaigns" description="Pick two to twenty.">
            <CampaignMultiSelect value={ids} onChange={setIds} />
          </FormField>
        </Container>
        {ids.length < 2 && <Alert type="info">Choose at least two campaigns to compare.</Alert>}
        {q.isError && <Alert type="error" header="Could not compare">{describeError(q.error)}</Alert>}
        {cols.length >= 2 && (
          <>
            <Table
              header={<Header variant="h2">Side by side</Header>}
              items={ROWS}
              columnDefinitions={[
                { id: 'metric', header: 'Metric', cell: (r) => <b>{r.label}</b> },
                ...cols.map((col) => ({ id: col.c.campaign_id, header: <span dir="auto">{col.name}</span>, cell: (r: Row) => r.value(col.f) })),
              ]}
              wrapLines
            />
            <Grid gridDefinition={[{ colspan: { default: 12, l: 6 } }, { colspan: { default: 12, l: 6 } }]}>
              <Container header={<Header variant="h2">Attempts</Header>}>
                <CompareChart title="Attempts" pick="count" rows={cols.map((c) => ({ name: c.name, value: c.f.counts.attempts ?? 0 }))} />
              </Container>
              <Container header={<Header variant="h2">Answer rate (%)</Header>}>
                <CompareChart title="Answer rate" pick="rate" rows={cols.map((c) => ({ name: c.name, value: Math.round((c.f.rates.answer_rate ?? 0) * 1000) / 10 }))} />
              </Container>
              <Container header={<Header variant="h2">Converted</Header>}>
                <CompareChart title="Converted" pick="count" rows={cols.map((c) => ({ name: c.name, value: c.f.counts.converted ?? 0 }))} />
              </Container>
              <Container header={<Header variant="h2">Conversion rate (%)</Header>}>
                <CompareChart title="Conversion rate" pick="rate" rows={cols.map((c) => ({ name: c.name, value: Math.round((c.f.rates.conversion_rate ?? 0) * 1000) / 10 }))} />
              </Container>
            </Grid>
            <Box variant="small" color="text-body-secondary">
              Snapshots refresh every 10 s.
            </Box>
          </>
        )}
      </SpaceBetween>
    </ContentLayout>
  );
}
