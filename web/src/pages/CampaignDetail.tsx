import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import DatePicker from '@cloudscape-design/components/date-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import TimeInput from '@cloudscape-design/components/time-input';
import { api, must, type Campaign } from '../api/client';
import { describeError } from '../api/errors';
import { keys, useCampaign } from '../api/queries';
import { useMe } from '../auth/me';
import { Confirm } from '../components/Confirm';
import { FlowDiagram } from '../components/FlowDiagram';
import { StatusBadge } from '../components/StatusBadge';
import { flash } from '../lib/flash';
import { fromApi, standardFlow, type IvrFlow } from '../lib/ivrFlow';
import { allowedMoves, isFinished, MOVE_LABELS, type Move } from '../lib/lifecycle';
import { describeWindows } from '../lib/windows';

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <div dir="auto">{children ?? <Box color="text-status-inactive">—</Box>}</div>
    </div>
  );
}

const when = (iso?: string | null) => (iso ? new Date(iso).toLocaleString() : undefined);

async function move(id: string, m: Move, startAt?: string): Promise<Campaign> {
  const path = { params: { path: { id } } };
  switch (m) {
    case 'schedule':
      return must(api.POST('/api/campaigns/{id}/schedule', { ...path, body: { start_at: startAt ?? '' } }));
    case 'start':
      return must(api.POST('/api/campaigns/{id}/start', path));
    case 'pause':
      return must(api.POST('/api/campaigns/{id}/pause', path));
    case 'resume':
      return must(api.POST('/api/campaigns/{id}/resume', path));
    case 'cancel':
      return must(api.POST('/api/campaigns/{id}/cancel', path));
    case 'archive':
      return must(api.POST('/api/campaigns/{id}/archive', path));
  }
}

function flowOf(c: Campaign): { flow: IvrFlow; standard: boolean; problem?: string } {
  if (!c.settings.ivr) return { flow: standardFlow(c.settings.audio ?? 'sound:campaign-message'), standard: true };
  try {
    return { flow: fromApi(c.settings.ivr), standard: false };
  } catch (e) {
    return { flow: { startNodeId: '', nodes: [] }, standard: false, problem: String(e) };
  }
}

export default function CampaignDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const canManage = me.data?.can.manage_campaigns ?? false;
  const campaign = useCampaign(id);
  const metrics = useQuery({
    queryKey: keys.metrics(id),
    queryFn: () => must(api.GET('/api/campaigns/{id}/metrics', { params: { path: { id } } })),
    refetchInterval: 5000,
  });
  const [confirm, setConfirm] = useState<Move | null>(null);
  const [cloneOpen, setCloneOpen] = useState(false);
  const [cloneName, setCloneName] = useState('');
  const [date, setDate] = useState('');
  const [time, setTime] = useState('09:00');

  const lifecycle = useMutation({
    mutationFn: ({ m, startAt }: { m: Move; startAt?: string }) => move(id, m, startAt),
    onSuccess: (c, { m }) => {
      queryClient.setQueryData(keys.campaign(id), c);
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      void queryClient.invalidateQueries({ queryKey: keys.metrics(id) });
      setConfirm(null);
      flash('success', `${MOVE_LABELS[m]}: the campaign is now ${c.status}.`);
    },
  });
  const clone = useMutation({
    mutationFn: (name: string) =>
      must(api.POST('/api/campaigns/{id}/clone', { params: { path: { id } }, body: name.trim() ? { name: name.trim() } : {} })),
    onSuccess: (c) => {
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      setCloneOpen(false);
      flash('success', <>Cloned into <bdi>{c.name}</bdi> ({c.id}), a draft.</>);
      navigate(`/campaigns/${c.id}`);
    },
  });

  if (campaign.isLoading) return <Spinner size="large" />;
  if (campaign.isError || !campaign.data) {
    return (
      <Alert type="error" header="Could not load the campaign">
        {describeError(campaign.error)}
      </Alert>
    );
  }
  const c = campaign.data;
  const s = c.settings;
  const moves = canManage ? allowedMoves(c.status) : [];
  const { flow, standard, problem } = flowOf(c);
  const contacts = metrics.data?.contacts as Record<string, number | undefined> | undefined;
  const ask = (m: Move) => {
    lifecycle.reset();
    if (m === 'cancel' || m === 'schedule') setConfirm(m);
    else lifecycle.mutate({ m });
  };
  const startAt = date && time ? new Date(`${date}T${time}`) : null;

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={
            <SpaceBetween direction="horizontal" size="s">
              <span>{c.id}</span>
              <span>{c.kind}</span>
              <StatusBadge status={c.status} />
            </SpaceBetween>
          }
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              {moves
                .filter((m) => m !== 'cancel')
                .map((m) => (
                  <Button
                    key={m}
                    variant={m === 'start' || m === 'resume' ? 'primary' : 'normal'}
                    loading={lifecycle.isPending && lifecycle.variables?.m === m}
                    onClick={() => ask(m)}
                  >
                    {MOVE_LABELS[m]}
                  </Button>
                ))}
              {canManage && !isFinished(c.status) && <Button onClick={() => navigate(`/campaigns/${c.id}/edit`)}>Edit</Button>}
              {canManage && (
                <Button
                  onClick={() => {
                    clone.reset();
                    setCloneName(`${c.name} (copy)`);
                    setCloneOpen(true);
                  }}
                >
                  Clone
                </Button>
              )}
              {moves.includes('cancel') && <Button onClick={() => ask('cancel')}>{MOVE_LABELS.cancel}</Button>}
            </SpaceBetween>
          }
        >
          <span dir="auto">{c.name}</span>
        </Header>
      }
    >
      <SpaceBetween size="l">
        {lifecycle.isError && !confirm && (
          <Alert type="error" header="The move was refused" dismissible onDismiss={() => lifecycle.reset()}>
            {describeError(lifecycle.error)}
          </Alert>
        )}
        <Container
          header={
            <Header
              variant="h2"
              actions={
                <SpaceBetween direction="horizontal" size="xs">
                  {canManage && <Button onClick={() => navigate(`/campaigns/${c.id}/contacts`)}>Contacts</Button>}
                  <Button onClick={() => navigate(`/campaigns/${c.id}/dashboard`)}>Live dashboard</Button>
                </SpaceBetween>
              }
            >
              Progress
            </Header>
          }
        >
          <ColumnLayout columns={5} variant="text-grid">
            {(['pending', 'in_progress', 'completed', 'failed', 'blacklisted'] as const).map((k) => (
              <Item key={k} label={k.replace('_', ' ')}>
                {contacts ? String(contacts[k] ?? 0) : metrics.isError ? describeError(metrics.error) : '…'}
              </Item>
            ))}
          </ColumnLayout>
        </Container>
        <Container header={<Header variant="h2">Settings</Header>}>
          <ColumnLayout columns={3} variant="text-grid">
            <SpaceBetween size="m">
              <Item label="Audio">{s.audio}</Item>
              <Item label="IVR flow">{standard ? 'Standard (1 = donate, 9 = opt out)' : `Custom, ${flow.nodes.length} nodes`}</Item>
              <Item label="SMS text">{s.sms_template && <span dir="auto">{s.sms_template}</span>}</Item>
              <Item label="TTS text">{s.tts_template && <span dir="auto">{s.tts_template}</span>}</Item>
            </SpaceBetween>
            <SpaceBetween size="m">
              <Item label="Time zone">{s.schedule.timezone}</Item>
              <Item label="Calling windows">
                {s.schedule.windows.length ? describeWindows(s.schedule.windows).map((w) => <div key={w}>{w}</div>) : 'Any time'}
              </Item>
              <Item label="Start">{when(s.schedule.start) ?? 'When started'}</Item>
              <Item label="End">{when(s.schedule.end) ?? 'No end'}</Item>
            </SpaceBetween>
            <SpaceBetween size="m">
              <Item label="Pace">{`${s.pace.calls_per_second} calls/s, at most ${s.pace.max_concurrent} at once`}</Item>
              <Item label="Retries">
                {`up to ${s.retry.max_attempts ?? 3} attempts; on ${(s.retry.retry_on ?? []).join(', ') || 'the defaults'}`}
                {(s.retry.rules ?? []).length > 0 ? `; ${s.retry.rules!.length} day-and-time rules` : `; every ${s.retry.default_interval_minutes ?? 60} min`}
              </Item>
              <Item label="Carrier">{s.carrier}</Item>
              <Item label="Caller id / ring time">{`${s.caller_id ?? 'default'} / ${s.ring_timeout_secs ?? 30} s`}</Item>
              <Item label="Version">{`${c.version} (updated ${when(c.updated_at) ?? '?'})`}</Item>
              <Item label="Created">{`by ${c.created_by ?? '?'} on ${when(c.created_at) ?? '?'}`}</Item>
            </SpaceBetween>
          </ColumnLayout>
        </Container>
        <Container header={<Header variant="h2" description={standard ? 'The standard flow around the campaign audio.' : undefined}>IVR flow</Header>}>
          {problem ? <Alert type="warning">{problem}</Alert> : <div style={{ overflowX: 'auto' }}><FlowDiagram flow={flow} /></div>}
        </Container>
      </SpaceBetween>

      <Confirm
        visible={confirm === 'cancel'}
        title="Cancel this campaign?"
        confirmText="Cancel campaign"
        cancelText="Keep it"
        busy={lifecycle.isPending}
        onCancel={() => setConfirm(null)}
        onConfirm={() => lifecycle.mutate({ m: 'cancel' })}
      >
        <SpaceBetween size="s">
          <Box>
            No more calls will be placed for <b dir="auto">{c.name}</b>. This cannot be undone (clone it to run again).
          </Box>
          {lifecycle.isError && <Alert type="error">{describeError(lifecycle.error)}</Alert>}
        </SpaceBetween>
      </Confirm>
      <Confirm
        visible={confirm === 'schedule'}
        title="Schedule the start"
        confirmText="Schedule"
        busy={lifecycle.isPending}
        disabled={!startAt || Number.isNaN(startAt.getTime())}
        onCancel={() => setConfirm(null)}
        onConfirm={() => startAt && lifecycle.mutate({ m: 'schedule', startAt: startAt.toISOString() })}
      >
        <SpaceBetween size="s">
          <FormField label="Start date" description="In your browser's time zone.">
            <DatePicker value={date} onChange={(e) => setDate(e.detail.value)} placeholder="YYYY/MM/DD" />
          </FormField>
          <FormField label="Start time">
            <TimeInput value={time} format="hh:mm" onChange={(e) => setTime(e.detail.value)} />
          </FormField>
          {lifecycle.isError && <Alert type="error">{describeError(lifecycle.error)}</Alert>}
        </SpaceBetween>
      </Confirm>
      <Confirm
        visible={cloneOpen}
        title="Clone into a new draft"
        confirmText="Clone"
        busy={clone.isPending}
        onCancel={() => setCloneOpen(false)}
        onConfirm={() => clone.mutate(cloneName)}
      >
        <SpaceBetween size="s">
          <FormField label="Name of the copy" description="Same kind and settings, no start time; contacts are not copied.">
            <Input value={cloneName} onChange={(e) => setCloneName(e.detail.value)} />
          </FormField>
          {clone.isError && <Alert type="error">{describeError(clone.error)}</Alert>}
        </SpaceBetween>
      </Confirm>
    </ContentLayout>
  );
}
