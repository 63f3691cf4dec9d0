import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import DatePicker from '@cloudscape-design/components/date-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Multiselect from '@cloudscape-design/components/multiselect';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Textarea from '@cloudscape-design/components/textarea';
import Tiles from '@cloudscape-design/components/tiles';
import TimeInput from '@cloudscape-design/components/time-input';
import Wizard from '@cloudscape-design/components/wizard';
import { api, must, type Campaign, type CampaignKind, type EditOutcome } from '../api/client';
import { ApiError, describeError, errorFor, fieldProblems } from '../api/errors';
import { keys, useAudioLibrary, useCampaign } from '../api/queries';
import { useMe } from '../auth/me';
import { FlowBuilder } from '../components/FlowBuilder';
import { TemplateField } from '../components/TemplateField';
import { WindowGrid } from '../components/WindowGrid';
import {
  createBody,
  draftFromCampaign,
  newDraft,
  patchBody,
  patchFields,
  RETRYABLE,
  stepOfField,
  type Draft,
} from '../lib/campaignForm';
import { flash } from '../lib/flash';
import { standardFlow } from '../lib/ivrFlow';
import { canEditField, expectedImpact, isFinished, isRunning } from '../lib/lifecycle';
import { EXAMPLE_RULES_YAML, type RetryRule } from '../lib/retryYaml';
import { contactVariables } from '../lib/template';
import { describeWindows, gridToWindows } from '../lib/windows';
import { knownZones } from '../lib/zonedTime';

const KINDS: { value: CampaignKind; label: string; description: string }[] = [
  { value: 'voice', label: 'Voice', description: 'A recorded message and a key menu; SMS follow-up after key 1.' },
  { value: 'sms', label: 'SMS', description: 'Text messages only.' },
  { value: 'hybrid', label: 'Hybrid', description: 'Voice first, SMS for those who cannot be reached.' },
];
const CARRIERS = [
  { value: 'asterisk', label: 'Asterisk (SIP trunk)' },
  { value: 'connect', label: 'Amazon Connect' },
];
const DEFAULT_SAMPLE = 'first_name=דנה\nlast_name=כהן';

function parseSample(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Create (no id) or edit (/campaigns/:id/edit) a campaign. */
export default function CampaignWizard() {
  const { id } = useParams();
  const editing = id !== undefined;
  const existing = useCampaign(id ?? '');
  if (editing && existing.isLoading) return <Spinner size="large" />;
  if (editing && (existing.isError || !existing.data)) {
    return (
      <Alert type="error" header="Could not load the campaign">
        {describeError(existing.error)}
      </Alert>
    );
  }
  return <WizardForm key={id ?? 'new'} campaign={editing ? existing.data : undefined} />;
}

function WizardForm({ campaign }: { campaign?: Campaign }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const audioLib = useAudioLibrary();
  const [draft, setDraft] = useState<Draft>(() => (campaign ? draftFromCampaign(campaign) : newDraft()));
  const [step, setStep] = useState(0);
  const [rulesError, setRulesError] = useState<string>();
  const [parsed, setParsed] = useState<{ yaml: string; rules: RetryRule[] } | null>(null);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [sampleText, setSampleText] = useState(DEFAULT_SAMPLE);
  const [gridTouched, setGridTouched] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const status = campaign?.status ?? 'draft';
  const editable = (field: string) => canEditField(status, field);
  const zones = useMemo(() => knownZones().map((z) => ({ value: z, label: z })), []);
  const audioNames = (audioLib.data?.items ?? []).map((a) => a.audio ?? a.key ?? '').filter(Boolean);

  // The sample contact of an existing campaign is its first real contact.
  const firstContact = useQuery({
    queryKey: ['contacts', campaign?.id, 'sample'],
    queryFn: () => must(api.GET('/api/campaigns/{id}/contacts', { params: { path: { id: campaign!.id }, query: { limit: 1 } } })),
    enabled: campaign !== undefined,
  });
  useEffect(() => {
    const c = firstContact.data?.items[0];
    if (c?.metadata) setSampleText(Object.entries(c.metadata).map(([k, v]) => `${k}=${v}`).join('\n'));
  }, [firstContact.data]);
  const sample = { ...contactVariables({ phone: firstContact.data?.items[0]?.phone ?? '+972501234567' }, draft.name || 'campaign'), ...parseSample(sampleText) };

  const checkRules = async (): Promise<RetryRule[] | null> => {
    const yaml = draft.rulesYaml;
    if (yaml.trim() === '') {
      setRulesError(undefined);
      return [];
    }
    if (parsed && parsed.yaml === yaml) return parsed.rules;
    try {
      const res = await must(api.POST('/api/retry-rules/validate', { body: { yaml } }));
      setParsed({ yaml, rules: res.rules });
      setRulesError(undefined);
      return res.rules;
    } catch (e) {
      setRulesError(e instanceof ApiError ? (fieldProblems(e).map((p) => p.message).join('; ') || e.message) : describeError(e));
      return null;
    }
  };

  const keepWindows = campaign && !draft.gridExact && !gridTouched ? campaign.settings.schedule.windows : undefined;
  const patch = campaign ? patchBody(campaign, draft, parsed?.rules ?? campaign.settings.retry.rules ?? [], keepWindows) : null;
  const changed = patch ? patchFields(patch) : [];

  const save = useMutation({
    mutationFn: async (): Promise<{ campaign: Campaign; impact?: string[] }> => {
      const rules = await checkRules();
      if (rules === null) {
        setStep(4);
        throw new Error('The retry rules are not valid (see the Pace and retries step).');
      }
      if (!campaign) {
        const c = await must(api.POST('/api/campaigns', { body: createBody(draft, rules) }));
        return { campaign: c };
      }
      const body = patchBody(campaign, draft, rules, keepWindows);
      if (patchFields(body).length === 0) throw new Error('Nothing changed.');
      const out: EditOutcome = await must(api.PATCH('/api/campaigns/{id}', { params: { path: { id: campaign.id } }, body }));
      return { campaign: out.campaign, impact: out.impact };
    },
    onMutate: () => setSubmitError(null),
    onSuccess: ({ campaign: c, impact }) => {
      queryClient.setQueryData(keys.campaign(c.id), c);
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      if (impact) {
        flash(
          'success',
          <>
            Saved <bdi>{c.name}</bdi> (version {c.version}). When each change applies:
            <ul style={{ margin: 0 }}>
              {impact.map((i) => (
                <li key={i}>{i}</li>
              ))}
            </ul>
          </>,
        );
      } else {
        flash('success', <>Created <bdi>{c.name}</bdi> ({c.id}) as a draft. Add contacts, then start it.</>);
      }
      navigate(`/campaigns/${c.id}`);
    },
    onError: (e) => {
      setSubmitError(e);
      const first = fieldProblems(e)[0];
      if (first) setStep(stepOfField(first.field));
    },
  });

  if (me.data && !me.data.can.manage_campaigns) {
    return <Alert type="warning" header="Not allowed">Your role ({me.data.role}) cannot create or edit campaigns.</Alert>;
  }
  if (campaign && isFinished(campaign.status)) {
    return <Alert type="info" header="Read-only">This campaign is {campaign.status}: it can no longer change. Clone it to run it again.</Alert>;
  }

  const fieldError = (f: string) => errorFor(submitError, f);
  const lockedNote =
    campaign && isRunning(campaign.status) ? 'Locked while the campaign runs (audio, IVR flow and carrier): pause and clone to change it.' : undefined;
  const voice = draft.kind !== 'sms';
  // Editing: every step may be skipped to (the step list links straight to Pace, say).
  const editingAny = campaign !== undefined;
  const windows = gridToWindows(draft.grid);
  const generalProblems = fieldProblems(submitError).filter((p) => p.field === null);

  return (
    <Wizard
      activeStepIndex={step}
      onNavigate={async (e) => {
        const to = e.detail.requestedStepIndex;
        if (step === 4 && to > 4 && (await checkRules()) === null) return;
        setStep(to);
      }}
      onCancel={() => navigate(campaign ? `/campaigns/${campaign.id}` : '/campaigns')}
      onSubmit={() => save.mutate()}
      isLoadingNextStep={save.isPending}
      submitButtonText={campaign ? 'Save changes' : 'Create campaign'}
      allowSkipTo
      i18nStrings={{
        stepNumberLabel: (n) => `Step ${n}`,
        collapsedStepsLabel: (n, total) => `Step ${n} of ${total}`,
        navigationAriaLabel: 'Steps',
        cancelButton: 'Cancel',
        previousButton: 'Previous',
        nextButton: 'Next',
        optional: campaign ? 'may skip' : 'optional',
      }}
      steps={[
        {
          title: 'Name and kind',
          isOptional: editingAny,
          description: campaign ? `Editing ${campaign.id} (${campaign.status}, version ${campaign.version})` : undefined,
          content: (
            <Container>
              <SpaceBetween size="l">
                <FormField label="Campaign name" errorText={fieldError('name')}>
                  <Input value={draft.name} onChange={(e) => set('name', e.detail.value)} ariaLabel="Campaign name" />
                </FormField>
                <FormField label="Kind" errorText={fieldError('kind')} description={campaign ? 'The kind is fixed once created.' : undefined}>
                  <Tiles
                    value={draft.kind}
                    items={KINDS.map((k) => ({ ...k, disabled: campaign !== undefined }))}
                    onChange={(e) => set('kind', e.detail.value as CampaignKind)}
                  />
                </FormField>
              </SpaceBetween>
            </Container>
          ),
        },
        {
          title: 'Message and IVR flow',
          isOptional: editingAny || !voice,
          content: voice ? (
            <SpaceBetween size="l">
              <Container header={<Header variant="h2">Audio message</Header>}>
                <FormField
                  label="Audio"
                  description="From the audio library, or sound:… / recording:… / an https URL."
                  errorText={fieldError('audio')}
                  constraintText={!editable('audio') ? lockedNote : undefined}
                >
                  <Autosuggest
                    value={draft.audio}
                    disabled={!editable('audio')}
                    onChange={(e) => set('audio', e.detail.value)}
                    options={audioNames.map((a) => ({ value: a }))}
                    statusType={audioLib.isLoading ? 'loading' : audioLib.isError ? 'error' : 'finished'}
                    errorText={audioLib.isError ? describeError(audioLib.error) : undefined}
                    enteredTextLabel={(v) => `Use: ${v}`}
                    ariaLabel="Audio"
                    placeholder="Pick from the library"
                    empty="The audio library is empty"
                  />
                </FormField>
              </Container>
              <Container header={<Header variant="h2">IVR flow</Header>}>
                <SpaceBetween size="m">
                  <FormField errorText={fieldError('ivr')} constraintText={!editable('ivr') ? lockedNote : undefined}>
                    <RadioGroup
                      value={draft.ivrMode}
                      onChange={(e) => {
                        const mode = e.detail.value as Draft['ivrMode'];
                        setDraft((d) => ({
                          ...d,
                          ivrMode: mode,
                          // Start a custom flow from the standard one around the chosen audio.
                          flow: mode === 'custom' && d.ivrMode === 'standard' ? standardFlow(d.audio || 'sound:campaign-message') : d.flow,
                        }));
                      }}
                      items={[
                        { value: 'standard', label: 'Standard flow', description: 'The audio, then a menu: 1 = donate (SMS follow-up), 9 = opt out.', disabled: !editable('ivr') },
                        { value: 'custom', label: 'Custom flow', description: 'Build the menus, keys and actions yourself.', disabled: !editable('ivr') },
                      ]}
                    />
                  </FormField>
                  {draft.ivrMode === 'custom' && (
                    <FlowBuilder flow={draft.flow} onChange={(f) => set('flow', f)} audio={audioNames} disabled={!editable('ivr')} />
                  )}
                </SpaceBetween>
              </Container>
            </SpaceBetween>
          ) : (
            <Container>
              <Box>SMS campaigns play no audio; go on to the texts.</Box>
            </Container>
          ),
        },
        {
          title: 'Texts',
          isOptional: editingAny,
          content: (
            <Container header={<Header variant="h2" description="{{name}} placeholders are filled from each contact's columns, phone and campaign.">SMS and TTS texts</Header>}>
              <ColumnLayout columns={2}>
                <SpaceBetween size="l">
                  <TemplateField
                    label="SMS text"
                    description={draft.kind === 'voice' ? 'Sent after key 1 (optional for voice).' : 'Required for SMS and hybrid campaigns.'}
                    value={draft.sms}
                    onChange={(v) => set('sms', v)}
                    sample={sample}
                    errorText={fieldError('sms_template')}
                    required={draft.kind !== 'voice'}
                  />
                  {voice && (
                    <TemplateField
                      label="TTS text"
                      description="Spoken on the text-to-speech fallback call; the SMS text when empty."
                      value={draft.tts}
                      onChange={(v) => set('tts', v)}
                      sample={sample}
                      errorText={fieldError('tts_template')}
                    />
                  )}
                </SpaceBetween>
                <FormField
                  label="Sample contact"
                  description={
                    firstContact.data?.items[0]
                      ? 'The first contact of this campaign; edit to try other values. One name=value a line.'
                      : 'One name=value a line (the columns of your contact file). phone and campaign are added.'
                  }
                  stretch
                >
                  <Textarea value={sampleText} onChange={(e) => setSampleText(e.detail.value)} rows={6} ariaLabel="Sample contact" />
                </FormField>
              </ColumnLayout>
            </Container>
          ),
        },
        {
          title: 'Schedule',
          isOptional: editingAny,
          content: (
            <SpaceBetween size="l">
              <Container header={<Header variant="h2">Time zone and dates</Header>}>
                <ColumnLayout columns={3}>
                  <FormField label="Time zone" description="Windows are read in each contact's zone; this one for contacts without." errorText={fieldError('schedule.timezone')}>
                    <Select
                      selectedOption={{ value: draft.timezone, label: draft.timezone }}
                      options={zones}
                      filteringType="auto"
                      onChange={(e) => set('timezone', e.detail.selectedOption.value ?? 'UTC')}
                      ariaLabel="Time zone"
                      virtualScroll
                    />
                  </FormField>
                  <FormField label="Start (optional)" description={`In ${draft.timezone}. Empty: when started.`} errorText={fieldError('schedule.start')}>
                    <SpaceBetween direction="horizontal" size="xs">
                      <DatePicker value={draft.startDate} onChange={(e) => set('startDate', e.detail.value)} placeholder="YYYY/MM/DD" ariaLabel="Start date" />
                      <TimeInput value={draft.startTime} format="hh:mm" placeholder="hh:mm" onChange={(e) => set('startTime', e.detail.value)} ariaLabel="Start time" />
                    </SpaceBetween>
                  </FormField>
                  <FormField label="End (optional)" description={`In ${draft.timezone}. Empty: no end.`} errorText={fieldError('schedule.end')}>
                    <SpaceBetween direction="horizontal" size="xs">
                      <DatePicker value={draft.endDate} onChange={(e) => set('endDate', e.detail.value)} placeholder="YYYY/MM/DD" ariaLabel="End date" />
                      <TimeInput value={draft.endTime} format="hh:mm" placeholder="hh:mm" onChange={(e) => set('endTime', e.detail.value)} ariaLabel="End time" />
                    </SpaceBetween>
                  </FormField>
                </ColumnLayout>
              </Container>
              <Container header={<Header variant="h2" description="Click an hour to switch it; drag to paint several. Windows never cross midnight.">Calling windows</Header>}>
                <FormField errorText={fieldError('schedule')} stretch>
                  <SpaceBetween size="s">
                    {campaign && !draft.gridExact && !gridTouched && (
                      <Alert type="info">
                        {`The stored windows do not start and end on whole hours (${describeWindows(campaign.settings.schedule.windows).join('; ')}); they are kept as they are unless you change the grid.`}
                      </Alert>
                    )}
                    <WindowGrid
                      grid={draft.grid}
                      onChange={(g) => {
                        setGridTouched(true);
                        set('grid', g);
                      }}
                    />
                  </SpaceBetween>
                </FormField>
              </Container>
            </SpaceBetween>
          ),
        },
        {
          title: 'Pace and retries',
          isOptional: editingAny,
          content: (
            <SpaceBetween size="l">
              <Container header={<Header variant="h2">Pace</Header>}>
                <ColumnLayout columns={3}>
                  <FormField label="Calls per second" errorText={fieldError('pace')}>
                    <Input type="number" value={draft.cps} onChange={(e) => set('cps', e.detail.value)} ariaLabel="Calls per second" />
                  </FormField>
                  <FormField label="Calls at once (max)">
                    <Input type="number" value={draft.maxConcurrent} onChange={(e) => set('maxConcurrent', e.detail.value)} ariaLabel="Calls at once" />
                  </FormField>
                  <FormField label="Ring time (s)" errorText={fieldError('ring_timeout_secs')}>
                    <Input type="number" value={draft.ringTimeout} onChange={(e) => set('ringTimeout', e.detail.value)} ariaLabel="Ring time" />
                  </FormField>
                  <FormField label="Caller id (optional)" errorText={fieldError('caller_id')}>
                    <Input value={draft.callerId} onChange={(e) => set('callerId', e.detail.value)} ariaLabel="Caller id" placeholder="+972…" />
                  </FormField>
                  <FormField label="Carrier" errorText={fieldError('carrier')} constraintText={!editable('carrier') ? lockedNote : undefined}>
                    <Select
                      disabled={!editable('carrier')}
                      selectedOption={CARRIERS.find((c) => c.value === draft.carrier) ?? CARRIERS[0]!}
                      options={CARRIERS}
                      onChange={(e) => set('carrier', e.detail.selectedOption.value as Draft['carrier'])}
                    />
                  </FormField>
                </ColumnLayout>
              </Container>
              <Container header={<Header variant="h2">Retries</Header>}>
                <SpaceBetween size="l">
                  <ColumnLayout columns={3}>
                    <FormField label="Attempts at most" errorText={fieldError('retry')}>
                      <Input type="number" value={draft.maxAttempts} onChange={(e) => set('maxAttempts', e.detail.value)} ariaLabel="Attempts at most" />
                    </FormField>
                    <FormField label="Retry these outcomes" description="Opt-outs and do-not-call numbers are never retried.">
                      <Multiselect
                        selectedOptions={draft.retryOn.map((r) => ({ value: r, label: r }))}
                        options={RETRYABLE.map((r) => ({ value: r, label: r }))}
                        onChange={(e) => set('retryOn', e.detail.selectedOptions.map((o) => o.value!))}
                        placeholder="Outcomes"
                      />
                    </FormField>
                    <FormField label="Interval without rules (min)">
                      <Input type="number" value={draft.defaultInterval} onChange={(e) => set('defaultInterval', e.detail.value)} ariaLabel="Default interval" />
                    </FormField>
                  </ColumnLayout>
                  <FormField
                    label="Retry rules YAML (day-and-time rules, call-manager format)"
                    description="Each rule: day_of_week, start_time, end_time, retry_interval_minutes. Empty: the interval above."
                    errorText={rulesError}
                    stretch
                    secondaryControl={
                      <SpaceBetween direction="horizontal" size="xs">
                        <Button onClick={() => void checkRules()}>Check rules</Button>
                        <Button variant="link" onClick={() => set('rulesYaml', EXAMPLE_RULES_YAML)}>
                          Insert example
                        </Button>
                      </SpaceBetween>
                    }
                  >
                    <Textarea
                      value={draft.rulesYaml}
                      onChange={(e) => {
                        set('rulesYaml', e.detail.value);
                        setRulesError(undefined);
                      }}
                      rows={10}
                      placeholder="No rules: retry after the interval above"
                      spellcheck={false}
                    />
                  </FormField>
                  {parsed && parsed.yaml === draft.rulesYaml && draft.rulesYaml.trim() !== '' && !rulesError && (
                    <StatusIndicator type="success">{`${parsed.rules.length} rule${parsed.rules.length === 1 ? '' : 's'} accepted by the API`}</StatusIndicator>
                  )}
                </SpaceBetween>
              </Container>
            </SpaceBetween>
          ),
        },
        {
          title: campaign ? 'Review changes' : 'Review and create',
          content: (
            <SpaceBetween size="l">
              {submitError !== null && (
                <Alert type="error" header={campaign ? 'The changes were not saved' : 'The campaign was not created'}>
                  {describeError(submitError)}
                  {generalProblems.length > 0 && (
                    <ul>
                      {generalProblems.map((p) => (
                        <li key={p.message}>{p.message}</li>
                      ))}
                    </ul>
                  )}
                </Alert>
              )}
              {campaign && (
                <Container header={<Header variant="h2" description="As the core words it; the API's answer says it again after saving.">What changes, and when it applies</Header>}>
                  {changed.length === 0 ? (
                    <Box color="text-status-inactive">Nothing changed yet.</Box>
                  ) : (
                    <ul>
                      {changed.map((f) => (
                        <li key={f}>
                          {expectedImpact(campaign.status, f)}
                          {!editable(f) && <StatusIndicator type="error">{` locked while ${campaign.status}`}</StatusIndicator>}
                        </li>
                      ))}
                    </ul>
                  )}
                </Container>
              )}
              <Container header={<Header variant="h2">Summary</Header>}>
                <ColumnLayout columns={3} variant="text-grid">
                  <SpaceBetween size="s">
                    <Summary label="Name">{draft.name && <span dir="auto">{draft.name}</span>}</Summary>
                    <Summary label="Kind">{draft.kind}</Summary>
                    {voice && <Summary label="Audio">{draft.audio}</Summary>}
                    {voice && <Summary label="IVR flow">{draft.ivrMode === 'standard' ? 'Standard' : `Custom, ${draft.flow.nodes.length} nodes`}</Summary>}
                  </SpaceBetween>
                  <SpaceBetween size="s">
                    <Summary label="SMS text">{draft.sms && <span dir="auto">{draft.sms}</span>}</Summary>
                    <Summary label="Time zone">{draft.timezone}</Summary>
                    <Summary label="Windows">{windows.length ? describeWindows(windows).join('; ') : 'Any time'}</Summary>
                    <Summary label="Start / end">{`${draft.startDate ? `${draft.startDate} ${draft.startTime}` : 'when started'} / ${draft.endDate ? `${draft.endDate} ${draft.endTime}` : 'no end'}`}</Summary>
                  </SpaceBetween>
                  <SpaceBetween size="s">
                    <Summary label="Pace">{`${draft.cps} calls/s, ${draft.maxConcurrent} at once`}</Summary>
                    <Summary label="Retries">{`${draft.maxAttempts} attempts; ${draft.rulesYaml.trim() ? 'day-and-time rules' : `every ${draft.defaultInterval} min`}`}</Summary>
                    <Summary label="Carrier">{draft.carrier}</Summary>
                  </SpaceBetween>
                </ColumnLayout>
              </Container>
            </SpaceBetween>
          ),
        },
      ]}
    />
  );
}

function Summary({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <div dir="auto">{children || <Box color="text-status-inactive">—</Box>}</div>
    </div>
  );
}
