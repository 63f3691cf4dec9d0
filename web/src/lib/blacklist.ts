// The do-not-call lookup as shown: the API's entry and history (tagged by `change`) in words.

/** The API's blacklist entry and history (core `BlacklistEntry` / `BlacklistChange`, tagged by `change`). */
export interface Entry {
  phone?: string;
  added_at?: string;
  reason?: string;
  source?: string;
}
export type Change = { change: 'added'; entry: Entry } | { change: 'removed'; phone?: string; at?: string; by?: string };

export const when = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '—');

export function sourceText(source?: string): string {
  switch (source) {
    case 'user_optout':
      return 'the person opted out';
    case 'admin_import':
      return 'added by staff';
    case 'compliance':
      return 'a compliance list';
    default:
      return source ?? '—';
  }
}

/** One history row as shown: when, what, by whom (or from where), why. */
export function historyRow(h: Change): { when: string; what: string; by: string; reason: string } {
  if (h.change === 'removed') return { when: when(h.at), what: 'removed', by: h.by ?? '—', reason: '' };
  return { when: when(h.entry?.added_at), what: 'added', by: sourceText(h.entry?.source), reason: h.entry?.reason ?? '' };
}

