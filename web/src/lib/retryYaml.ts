// Retry rules ⇄ the call-manager YAML (004_*): the wizard edits the YAML text; the API parses
// and validates it (POST /api/retry-rules/validate) and answers the parsed rules, which are
// what the campaign stores. This side only writes stored rules back out as YAML for editing.
import type { Schemas } from '../api/client';

export type RetryRule = NonNullable<Schemas['RetryPolicy']['rules']>[number];

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function rulesToYaml(rules: readonly RetryRule[] | undefined): string {
  if (!rules || rules.length === 0) return '';
  return rules
    .map((r) =>
      [
        `- day_of_week: ${quote(r.day_of_week ?? '')}`,
        `  start_time: ${quote(r.start_time ?? '')}`,
        `  end_time: ${quote(r.end_time ?? '')}`,
        `  retry_interval_minutes: ${r.retry_interval_minutes ?? 0}`,
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}

/** The README's example: Saturday mornings every hour, Saturday evenings every half hour. */
export const EXAMPLE_RULES_YAML = `- day_of_week: "saturday"
  start_time: "10:00:00"
  end_time: "12:00:00"
  retry_interval_minutes: 60
- day_of_week: "saturday"
  start_time: "19:00:00"
  end_time: "20:00:00"
  retry_interval_minutes: 30
`;
