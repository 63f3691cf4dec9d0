// The wizard's form state and its mapping to the API: a create body, or a PATCH of only the
// fields that changed (with the version it was read at, so a concurrent edit is a 409).
import type { Campaign, CampaignCreate, CampaignKind, CampaignPatch, CampaignSettings } from '../api/client';
import { fromApi, standardFlow, toApi, type IvrFlow } from './ivrFlow';
import { rulesToYaml, type RetryRule } from './retryYaml';
import { emptyGrid, gridToWindows, paintRect, windowsToGrid, type Grid } from './windows';
import { utcToZoned, zonedToUtc } from './zonedTime';

export const RETRYABLE = ['busy', 'no_answer', 'failed', 'disconnected', 'answered'] as const;

export interface Draft {
  name: string;
  kind: CampaignKind;
  audio: string;
  ivrMode: 'standard' | 'custom';
  flow: IvrFlow;
  sms: string;
  tts: string;
  timezone: string;
  grid: Grid;
  gridExact: boolean;
  startDate: string;
  startTime: string;
  endDate: string;
  endTime: string;
  cps: string;
  maxConcurrent: string;
  maxAttempts: string;
  retryOn: string[];
  defaultInterval: string;
  rulesYaml: string;
  carrier: 'asterisk' | 'connect';
  callerId: string;
  ringTimeout: string;
}

export function newDraft(): Draft {
  return {
    name: '',
    kind: 'voice',
    audio: '',
    ivrMode: 'standard',
    flow: standardFlow(''),
    sms: '',
    tts: '',
    timezone: 'Asia/Jerusalem',
    grid: paintRect(emptyGrid(), [0, 9], [4, 19], true),
    gridExact: true,
    startDate: '',
    startTime: '',
    endDate: '',
    endTime: '',
    cps: '5',
    maxConcurrent: '20',
    maxAttempts: '3',
    retryOn: ['busy', 'no_answer', 'failed', 'disconnected'],
    defaultInterval: '60',
    rulesYaml: '',
    carrier: 'asterisk',
    callerId: '',
    ringTimeout: '30',
  };
}

export function draftFromCampaign(c: Campaign): Draft {
  const s = c.settings;
  const tz = s.schedule.timezone;
  const start = s.schedule.start ? utcToZoned(s.schedule.start, tz) : { date: '', time: '' };
  const end = s.schedule.end ? utcToZoned(s.schedule.end, tz) : { date: '', time: '' };
  const { grid, exact } = windowsToGrid(s.schedule.windows);
  let flow = standardFlow(s.audio ?? '');
  let ivrMode: Draft['ivrMode'] = 'standard';
  if (s.ivr) {
    flow = fromApi(s.ivr);
    ivrMode = 'custom';
  }
  return {
    name: c.name,
    kind: c.kind,
    audio: s.audio ?? '',
    ivrMode,
    flow,
    sms: s.sms_template ?? '',
    tts: s.tts_template ?? '',
    timezone: tz,
    grid,
    gridExact: exact,
    startDate: start.date,
    startTime: start.time,
    endDate: end.date,
    endTime: end.time,
    cps: String(s.pace.calls_per_second),
    maxConcurrent: String(s.pace.max_concurrent),
    maxAttempts: String(s.retry.max_attempts ?? 3),
    retryOn: [...(s.retry.retry_on ?? [])],
    defaultInterval: String(s.retry.default_interval_minutes ?? 60),
    rulesYaml: rulesToYaml(s.retry.rules),
    carrier: s.carrier ?? 'asterisk',
    callerId: s.caller_id ?? '',
    ringTimeout: String(s.ring_timeout_secs ?? 30),
  };
}

const int = (s: string) => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN);
const opt = (s: string) => (s.trim() === '' ? null : s);

/** The settings the draft describes; `rules` are the ones the API parsed from the YAML. */
export function draftSettings(d: Draft, rules: RetryRule[], keepWindows?: CampaignSettings['schedule']['windows']): CampaignSettings {
  const voice = d.kind !== 'sms';
  return {
    audio: voice ? opt(d.audio) : null,
    ivr: voice && d.ivrMode === 'custom' ? (toApi(d.flow) as CampaignSettings['ivr']) : null,
    sms_template: opt(d.sms),
    tts_template: voice ? opt(d.tts) : null,
    schedule: {
      timezone: d.timezone,
      // An unchanged grid that could not show the stored windows exactly keeps them as they are.
      windows: keepWindows ?? gridToWindows(d.grid),
      start: d.startDate ? zonedToUtc(d.startDate, d.startTime || '00:00', d.timezone) : null,
      end: d.endDate ? zonedToUtc(d.endDate, d.endTime || '00:00', d.timezone) : null,
    },
    pace: { calls_per_second: int(d.cps), max_concurrent: int(d.maxConcurrent) },
    retry: {
      max_attempts: int(d.maxAttempts),
      retry_on: d.retryOn,
      rules,
      default_interval_minutes: int(d.defaultInterval),
    },
    carrier: d.carrier,
    caller_id: opt(d.callerId),
    ring_timeout_secs: int(d.ringTimeout),
  };
}

export function createBody(d: Draft, rules: RetryRule[]): CampaignCreate {
  return { name: d.name.trim(), kind: d.kind, settings: draftSettings(d, rules) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Only the fields that differ from the stored campaign, plus its version. */
export function patchBody(c: Campaign, d: Draft, rules: RetryRule[], keepWindows?: CampaignSettings['schedule']['windows']): CampaignPatch {
  const s = draftSettings(d, rules, keepWindows);
  const o = c.settings;
  const patch: CampaignPatch = { version: c.version };
  if (d.name.trim() !== c.name) patch.name = d.name.trim();
  if (!same(s.audio, o.audio)) patch.audio = s.audio;
  if (!same(s.ivr, o.ivr)) patch.ivr = s.ivr;
  if (!same(s.sms_template, o.sms_template)) patch.sms_template = s.sms_template;
  if (!same(s.tts_template, o.tts_template)) patch.tts_template = s.tts_template;
  const sched = (x: CampaignSettings['schedule']) => ({
    timezone: x.timezone,
    windows: gridToWindows(windowsToGrid(x.windows).grid),
    start: x.start ? Date.parse(x.start) : null,
    end: x.end ? Date.parse(x.end) : null,
  });
  if (!same(sched(s.schedule), sched(o.schedule))) patch.schedule = s.schedule;
  if (!same(s.pace, o.pace)) patch.pace = s.pace;
  const retry = (r: CampaignSettings['retry']) => ({ ...r, retry_on: [...(r.retry_on ?? [])].sort() });
  if (!same(retry(s.retry), retry(o.retry))) patch.retry = s.retry;
  if (s.carrier !== (o.carrier ?? 'asterisk')) patch.carrier = s.carrier;
  if (!same(s.caller_id, o.caller_id)) patch.caller_id = s.caller_id;
  if (s.ring_timeout_secs !== (o.ring_timeout_secs ?? 30)) patch.ring_timeout_secs = s.ring_timeout_secs;
  return patch;
}

/** The patch's field names (what the impact is about). */
export function patchFields(p: CampaignPatch): string[] {
  return Object.keys(p).filter((k) => k !== 'version');
}

/** The wizard step that holds an API field path (for 422 errors: go where the problem is). */
export function stepOfField(field: string | null): number {
  const root = (field ?? '').split(/[.[]/)[0];
  switch (root) {
    case 'name':
    case 'kind':
      return 0;
    case 'audio':
    case 'ivr':
      return 1;
    case 'sms_template':
    case 'tts_template':
      return 2;
    case 'schedule':
      return 3;
    case 'pace':
    case 'retry':
    case 'carrier':
    case 'caller_id':
    case 'ring_timeout_secs':
      return 4;
    default:
      return 5;
  }
}
