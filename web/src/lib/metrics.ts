// The metrics snapshots as the dashboard reads them. Declared here, leniently (fields optional),
// because the API gains fields (alerts, pace) ahead of the checked-in schema, and a missing
// field must show as "—", not break the page.

export interface Counts {
  attempts?: number;
  answered?: number;
  converted?: number;
  opted_out?: number;
  busy?: number;
  no_answer?: number;
  failed?: number;
  disconnected?: number;
  blacklisted?: number;
  sms_sent?: number;
  sms_failed?: number;
  tts_delivered?: number;
  tts_failed?: number;
}

export interface Rates {
  answer_rate?: number;
  conversion_rate?: number;
  opt_out_rate?: number;
  busy_rate?: number;
  no_answer_rate?: number;
  failure_rate?: number;
}

export interface ContactsByStatus {
  pending?: number;
  in_progress?: number;
  completed?: number;
  failed?: number;
  blacklisted?: number;
}

export interface Alert {
  code: string;
  severity: 'info' | 'warning' | 'error';
  message: string;
}

/** GET /api/campaigns/{id}/metrics */
export interface CampaignSnapshot {
  campaign_id: string;
  name?: string;
  status?: string;
  at?: string;
  live?: {
    active_calls?: number;
    queue_depth?: number;
    due_contacts?: number;
    due_contacts_capped?: boolean;
    dialling_rate_cps?: number;
    pace_in_force_cps?: number;
    configured_pace_cps?: number;
    counts?: Counts;
    rates?: Rates;
  };
  contacts?: ContactsByStatus;
  alerts?: Alert[];
}

/** GET /api/metrics */
export interface AggregateSnapshot {
  at?: string;
  campaigns?: number;
  active_calls?: number;
  queue_depth?: number;
  due_contacts?: number;
  dialling_rate_cps?: number;
  dial_queue_depth?: number;
  counts?: Counts;
  rates?: Rates;
  contacts?: ContactsByStatus;
  alerts?: Alert[];
}

/** What both snapshots have in common, flattened for the tiles and charts. */
export interface Flat {
  at?: string;
  activeCalls?: number;
  queueDepth?: number;
  dueContacts?: number;
  dueCapped?: boolean;
  dialRate?: number;
  paceInForce?: number;
  configuredPace?: number;
  counts: Counts;
  rates: Rates;
  contacts: ContactsByStatus;
  alerts: Alert[];
}

export function isCampaignSnapshot(s: CampaignSnapshot | AggregateSnapshot): s is CampaignSnapshot {
  return typeof (s as CampaignSnapshot).campaign_id === 'string';
}

export function flatten(s: CampaignSnapshot | AggregateSnapshot): Flat {
  if (isCampaignSnapshot(s)) {
    const l = s.live ?? {};
    return {
      at: s.at,
      activeCalls: l.active_calls,
      queueDepth: l.queue_depth,
      dueContacts: l.due_contacts,
      dueCapped: l.due_contacts_capped,
      dialRate: l.dialling_rate_cps,
      paceInForce: l.pace_in_force_cps,
      configuredPace: l.configured_pace_cps,
      counts: l.counts ?? {},
      rates: l.rates ?? {},
      contacts: s.contacts ?? {},
      alerts: s.alerts ?? [],
    };
  }
  return {
    at: s.at,
    activeCalls: s.active_calls,
    queueDepth: s.queue_depth,
    dueContacts: s.due_contacts,
    dialRate: s.dialling_rate_cps,
    counts: s.counts ?? {},
    rates: s.rates ?? {},
    contacts: s.contacts ?? {},
    alerts: s.alerts ?? [],
  };
}

export const pct = (r?: number) => (r === undefined || Number.isNaN(r) ? '—' : `${(r * 100).toFixed(1)} %`);
