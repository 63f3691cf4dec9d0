// The campaign lifecycle as the core's `campaign::transition` defines it (shared/core/src/campaign.rs),
// mirrored so the console offers only the moves the API would allow. The API still decides.
import type { CampaignStatus } from '../api/client';

/** The moves a person can ask for (`complete` and `fail` are the system's). */
export type Move = 'schedule' | 'start' | 'pause' | 'resume' | 'cancel' | 'archive';

export const MOVES: readonly Move[] = ['schedule', 'start', 'pause', 'resume', 'cancel', 'archive'];

/** The status a move leads to from `from`, or null when the core refuses it. */
export function nextStatus(from: CampaignStatus, move: Move): CampaignStatus | null {
  switch (move) {
    case 'schedule':
      return from === 'draft' ? 'scheduled' : null;
    case 'start':
      return from === 'draft' || from === 'scheduled' ? 'active' : null;
    case 'pause':
      return from === 'active' ? 'paused' : null;
    case 'resume':
      return from === 'paused' ? 'active' : null;
    case 'cancel':
      return from === 'draft' || from === 'scheduled' || from === 'active' || from === 'paused' ? 'cancelled' : null;
    case 'archive':
      return from === 'completed' || from === 'cancelled' || from === 'failed' ? 'archived' : null;
  }
}

/** The moves allowed from `status`, in the order the buttons show. */
export function allowedMoves(status: CampaignStatus): Move[] {
  return MOVES.filter((m) => nextStatus(status, m) !== null);
}

/** No more calls will ever be placed (core: `CampaignStatus::is_finished`). */
export function isFinished(status: CampaignStatus): boolean {
  return status === 'completed' || status === 'cancelled' || status === 'failed' || status === 'archived';
}

/** Active or paused: only what affects calls not yet placed may change (core: campaign_edit). */
export function isRunning(status: CampaignStatus): boolean {
  return status === 'active' || status === 'paused';
}

/** Fields locked while a campaign runs (core: LOCKED_WHILE_RUNNING); pause and clone to change them. */
export const LOCKED_WHILE_RUNNING = ['audio', 'ivr', 'carrier'] as const;

/** Whether `field` may be edited in `status` (finished campaigns are read-only). */
export function canEditField(status: CampaignStatus, field: string): boolean {
  if (isFinished(status)) return false;
  if (isRunning(status)) return !(LOCKED_WHILE_RUNNING as readonly string[]).includes(field);
  return true;
}

/**
 * When a change takes effect, as the core's `impact_of` words it: shown before saving; the
 * PATCH answer's `impact` is what the API actually says and is shown after.
 */
export function expectedImpact(status: CampaignStatus, field: string): string {
  if (!isRunning(status)) return `${field}: when the campaign starts`;
  const when: Record<string, string> = {
    pace: 'from the next dispatch; calls in progress keep their slots',
    retry: 'for attempts that end from now on',
    schedule: 'from the next dispatch; queued calls outside the new windows wait',
    sms_template: 'for follow-ups sent from now on',
    tts_template: 'for follow-ups sent from now on',
    caller_id: 'for calls placed from now on',
    ring_timeout_secs: 'for calls placed from now on',
  };
  return `${field}: ${when[field] ?? 'now'}`;
}

export const MOVE_LABELS: Record<Move, string> = {
  schedule: 'Schedule',
  start: 'Start',
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel campaign',
  archive: 'Archive',
};
