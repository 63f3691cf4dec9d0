import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Grid from '@cloudscape-design/components/grid';
import Header from '@cloudscape-design/components/header';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { api, must, type CampaignStatus } from '../api/client';
import { describeError } from '../api/errors';
import { keys, listAllCampaigns } from '../api/queries';
import { useMe } from '../auth/me';
import { ContactsPie, HistoryChart, LoadChart, OutcomeChart, PaceChart } from '../components/MetricsCharts';
import { StatusBadge } from '../components/StatusBadge';
import { flash } from '../lib/flash';
import { MOVE_LABELS, allowedMoves, type Move } from '../lib/lifecycle';
import { ageText, type FeedState } from '../lib/liveFeed';
import { pct, type AggregateSnapshot, type CampaignSnapshot, type Flat } from '../lib/metrics';
import { CONTACT_STATUSES, OUTCOMES, paceChanges } from '../lib/series';
import { useLiveMetrics } from '../lib/useLiveMetrics';

function Tile({ label, value, sub, testId }: { label: string; value: React.ReactNode; sub?: React.ReactNode; testId?: string }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <Box variant="awsui-value-large" data-testid={testId}>
        {value}
      </Box>
      {sub && (
        <Box variant="small" display="block" color="text-body-secondary">
          {sub}
        </Box>
      )}
    </div>
  );
}

const n = (v?: number) => (v === undefined ? '—' : v.toLocaleString());
const cps = (v?: number) => (v === undefined ? '—' : `${Math.round(v * 10) / 10}`);

function Freshness({ state, receivedAt, now, at }: { state: FeedState; receivedAt?: number; now: number; at?: string }) {
  const age = ageText(receivedAt, now);
  const stale = receivedAt !== undefined && now - receivedAt > 5000;
  const snapshot = at ? ` · snapshot ${new Date(at).toLocaleTimeString()}` : '';
  const label =
    state.mode === 'stream'
      ? 'Live (stream)'
      : state.mode === 'polling'
        ? `Polling every second — ${state.reason}`
        : state.mode === 'connecting'
          ? 'Connecting…'
          : `Stopped: ${state.reason}`;
  return (
    <SpaceBetween direction="horizontal" size="s">
      <StatusIndicator type={stale || state.mode === 'stopped' ? 'warning' : state.mode === 'connecting' ? 'loading' : 'success'}>{label}</StatusIndicator>
      <Box color={stale ? 'text-status-warning' : 'text-body-secondary'} data-testid="data-age">
        Data {age}
        {snapshot}
      </Box>
      {(state.mode === 'polling' || state.mode === 'stream') && state.error && <StatusIndicator type="error">{state.error}</StatusIndicator>}
    </SpaceBetween>
  );
}

function Numbers({ f, perCampaign }: { f: Flat; perCampaign: boolean }) {
  const cut = f.paceInForce !== undefined && f.configuredPace !== undefined && f.paceInForce < f.configuredPace && f.paceInForce > 0;
  return (
    <Container header={<Header variant="h2">Now</Header>}>
      <SpaceBetween size="l">
        <ColumnLayout columns={perCampaign ? 6 : 4} variant="text-grid">
          <Tile label="Active calls" value={n(f.activeCalls)} testId="active-calls" />
          <Tile label="Queue depth" value={n(f.queueDepth)} sub="dial tasks sent, not yet on a call" testId="queue-depth" />
          <Tile label="Due contacts" value={`${n(f.dueContacts)}${f.dueCapped ? '+' : ''}`} sub="due now, not yet sent" testId="due-contacts" />
          <Tile label="Dialling rate (measured)" value={`${cps(f.dialRate)} /s`} sub="calls started per second, last 10 s" testId="dial-rate" />
          {perCampaign && (
            <Tile
              label="Pace in force"
              value={`${n(f.paceInForce)} /s`}
              sub={cut ? <Box color="text-status-warning">cut below the configured pace</Box> : 'what the dialler may start'}
              testId="pace-in-force"
            />
          )}
          {perCampaign && <Tile label="Configured pace" value={`${n(f.configuredPace)} /s`} testId="configured-pace" />}
        </ColumnLayout>
        <ColumnLayout columns={7} variant="text-grid">
          <Tile label="Attempts" value={n(f.counts.attempts)} testId="count-attempts" />
          {OUTCOMES.map((o) => (
            <Tile
              key={o.key}
              label={o.label}
              value={n(f.counts[o.key])}
              testId={`count-${o.key}`}
              sub={
                o.key === 'answered'
                  ? `answer rate ${pct(f.rates.answer_rate)}`
                  : o.key === 'busy'
                    ? `${pct(f.rates.busy_rate)} of attempts`
                    : o.key === 'no_answer'
                      ? `${pct(f.rates.no_answer_rate)} of attempts`
                      : o.key === 'failed'
                        ? `${pct(f.rates.failure_rate)} of attempts`
                        : o.key === 'converted'
                          ? `${pct(f.rates.conversion_rate)} of answered`
                          : `${pct(f.rates.opt_out_rate)} of answered`
              }
            />
          ))}
        </ColumnLayout>
      </SpaceBetween>
    </Container>
  );
}

function Alerts({ f }: { f: Flat }) {
  if (f.alerts.length === 0) {
    return <StatusIndicator type="success">No health alerts</StatusIndicator>;
  }
  return (
    <SpaceBetween size="xs">
      {f.alerts.map((a) => (
        <Alert key={a.code} type={a.severity} header={a.message}>
          <Box variant="small">{a.code}</Box>
        </Alert>
      ))}
    </SpaceBetween>
  );
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function History({ id }: { id: string }) {
  const [range] = useState(() => {
    const to = new Date();
    const from = new Date(to.getTime() - 13 * 86400_000);
    return { from: isoDay(from), to: isoDay(to) };
  });
  const q = useQuery({
    queryKey: ['history', id, range.from, range.to],
    queryFn: () => must(api.GET('/api/campaigns/{id}/metrics/history', { params: { path: { id }, query: range } })),
    refetchInterval: 60_000,
  });
  return (
    <Container header={<Header variant="h2" description={`${range.from} to ${range.to} (UTC days)`}>Calls by day</Header>}>
      {q.isError ? <Alert type="error">{describeError(q.error)}</Alert> : <HistoryChart days={(q.data?.days ?? []).map((d) => ({ date: d.date ?? '', counts: d.counts }))} />}
    </Container>
  );
}

function Body({ live, perCampaign, id }: { live: ReturnType<typeof useLiveMetrics<CampaignSnapshot | AggregateSnapshot>>; perCampaign: boolean; id?: string }) {
  const f = live.flat;
  const changes = useMemo(() => paceChanges(live.samples).slice(-5).reverse(), [live.samples]);
  if (!f) {
    return live.state.mode === 'polling' && live.state.error ? (
      <Alert type="error" header="Could not read the metrics">
        {live.state.error}
      </Alert>
    ) : (
      <StatusIndicator type="loading">Waiting for the first snapshot…</StatusIndicator>
    );
  }
  return (
    <SpaceBetween size="l">
      <Numbers f={f} perCampaign={perCampaign} />
      <Container header={<Header variant="h2">Health</Header>}>
        <Alerts f={f} />
      </Container>
      <Grid gridDefinition={[{ colspan: { default: 12, l: 6 } }, { colspan: { default: 12, l: 6 } }]}>
        <Container
          header={
            <Header variant="h2" description={perCampaign ? 'Measured rate against the pace in force and the configured pace' : 'Measured rate, summed over the campaigns'}>
              Dialling rate and pace
            </Header>
          }
          footer={
            perCampaign ? (
              changes.length ? (
                <Box variant="small" data-testid="pace-changes">
                  Pace changes:{' '}
                  {changes.map((c) => `${c.at.toLocaleTimeString()} ${c.from} → ${c.to} /s`).join(' · ')}
                </Box>
              ) : (
                <Box variant="small" color="text-body-secondary">
                  No pace change while this page was open.
                </Box>
              )
            ) : undefined
          }
        >
          <PaceChart samples={live.samples} />
        </Container>
        <Container header={<Header variant="h2">Calls and queue</Header>}>
          <LoadChart samples={live.samples} />
        </Container>
      </Grid>
      <Grid gridDefinition={[{ colspan: { default: 12, l: 7 } }, { colspan: { default: 12, l: 5 } }]}>
        <Container header={<Header variant="h2">Outcomes</Header>}>
          <OutcomeChart flat={f} />
        </Container>
        <Container header={<Header variant="h2">Contacts by status</Header>}>
          <SpaceBetween size="s">
            <ContactsPie flat={f} />
            <ColumnLayout columns={5} variant="text-grid">
              {CONTACT_STATUSES.map((s) => (
                <Tile key={s.key} label={s.label} value={n(f.contacts[s.key] ?? 0)} testId={`contacts-${s.key}`} />
              ))}
            </ColumnLayout>
          </SpaceBetween>
        </Container>
      </Grid>
      {id && <History id={id} />}
    </SpaceBetween>
  );
}

const LIVE_MOVES: Move[] = ['start', 'pause', 'resume'];

function CampaignDashboard({ id }: { id: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const live = useLiveMetrics<CampaignSnapshot>(`/api/campaigns/${encodeURIComponent(id)}/metrics/stream`, `/api/campaigns/${encodeURIComponent(id)}/metrics`);
  const status = live.latest?.status as CampaignStatus | undefined;
  const moves = me.data?.can.manage_campaigns && status ? allowedMoves(status).filter((m) => LIVE_MOVES.includes(m)) : [];
  const move = useMutation({
    mutationFn: (m: Move) => {
      const path = { params: { path: { id } } };
      if (m === 'start') return must(api.POST('/api/campaigns/{id}/start', path));
      if (m === 'pause') return must(api.POST('/api/campaigns/{id}/pause', path));
      return must(api.POST('/api/campaigns/{id}/resume', path));
    },
    onSuccess: (c, m) => {
      void queryClient.invalidateQueries({ queryKey: keys.campaign(id) });
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      flash('success', `${MOVE_LABELS[m]}: the campaign is now ${c.status}.`);
    },
    onError: (e) => flash('error', describeError(e)),
  });
  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={
            <SpaceBetween direction="horizontal" size="s">
              <span dir="auto">{live.latest?.name ?? id}</span>
              {status && <StatusBadge status={status} />}
            </SpaceBetween>
          }
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              {moves.map((m) => (
                <Button key={m} variant={m === 'pause' ? 'normal' : 'primary'} loading={move.isPending && move.variables === m} onClick={() => move.mutate(m)}>
                  {MOVE_LABELS[m]}
                </Button>
              ))}
              {me.data?.can.manage_campaigns && <Button onClick={() => navigate(`/campaigns/${id}/contacts`)}>Contacts</Button>}
              <Button onClick={() => navigate(`/reports?campaign=${encodeURIComponent(id)}`)}>Reports</Button>
              {me.data?.can.manage_campaigns && <Button onClick={() => navigate(`/campaigns/${id}`)}>Campaign</Button>}
            </SpaceBetween>
          }
        >
          Live dashboard
        </Header>
      }
    >
      <SpaceBetween size="m">
        <Freshness state={live.state} receivedAt={live.receivedAt} now={live.now} at={live.latest?.at} />
        <Body live={live} perCampaign id={id} />
      </SpaceBetween>
    </ContentLayout>
  );
}

function OverallDashboard() {
  const navigate = useNavigate();
  const me = useMe();
  const canList = me.data?.can.manage_campaigns ?? false;
  const campaigns = useQuery({ queryKey: keys.campaigns(), queryFn: () => listAllCampaigns(), enabled: canList });
  const live = useLiveMetrics<AggregateSnapshot>('/api/metrics/stream', '/api/metrics');
  const options = (campaigns.data ?? []).map((c) => ({ value: c.id, label: c.name, description: c.status }));
  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={live.latest ? `Across ${live.latest.campaigns ?? 0} campaigns` : 'Across campaigns'}
          actions={
            canList && (
              <Select
                selectedOption={null}
                placeholder="Open a campaign's dashboard"
                options={options}
                filteringType="auto"
                statusType={campaigns.isLoading ? 'loading' : campaigns.isError ? 'error' : 'finished'}
                errorText={campaigns.isError ? describeError(campaigns.error) : undefined}
                onChange={(e) => e.detail.selectedOption.value && navigate(`/campaigns/${e.detail.selectedOption.value}/dashboard`)}
                ariaLabel="Open a campaign's dashboard"
              />
            )
          }
        >
          Live dashboard
        </Header>
      }
    >
      <SpaceBetween size="m">
        <Freshness state={live.state} receivedAt={live.receivedAt} now={live.now} at={live.latest?.at} />
        <Body live={live} perCampaign={false} />
      </SpaceBetween>
    </ContentLayout>
  );
}

// Routes: /dashboard (every campaign) and /campaigns/:id/dashboard (one).
export default function Dashboard() {
  const { id } = useParams();
  return id ? <CampaignDashboard key={id} id={id} /> : <OverallDashboard />;
}
