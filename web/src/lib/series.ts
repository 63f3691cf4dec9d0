// Live samples → chart series for the dashboard (Cloudscape charts take {x, y} points).
import type { Counts, Flat } from './metrics';

export interface Sample {
  /** When the console received it (ms since epoch). */
  t: number;
  f: Flat;
}

export interface Point {
  x: Date;
  y: number;
}

/** Keep about five minutes of one-second samples. */
export const MAX_SAMPLES = 300;

/**
 * Appends a sample, dropping one that repeats the last snapshot's server time (the stream and a
 * poll can deliver the same snapshot) and the oldest beyond `max`.
 */
export function addSample(samples: Sample[], s: Sample, max = MAX_SAMPLES): Sample[] {
  const last = samples[samples.length - 1];
  if (last && s.f.at !== undefined && last.f.at === s.f.at) return samples;
  const out = [...samples, s];
  return out.length > max ? out.slice(out.length - max) : out;
}

/** The time of a sample: the server's snapshot time when present, else when it arrived. */
function timeOf(s: Sample): Date {
  const at = s.f.at ? Date.parse(s.f.at) : NaN;
  return new Date(Number.isNaN(at) ? s.t : at);
}

function series(samples: Sample[], pick: (f: Flat) => number | undefined): Point[] {
  return samples.flatMap((s) => {
    const y = pick(s.f);
    return y === undefined || Number.isNaN(y) ? [] : [{ x: timeOf(s), y }];
  });
}

/** Measured dialling rate, the pace in force and the configured pace over time. */
export function paceSeries(samples: Sample[]): { measured: Point[]; inForce: Point[]; configured: Point[] } {
  return {
    measured: series(samples, (f) => f.dialRate),
    inForce: series(samples, (f) => f.paceInForce),
    configured: series(samples, (f) => f.configuredPace),
  };
}

export function loadSeries(samples: Sample[]): { active: Point[]; queue: Point[]; due: Point[] } {
  return {
    active: series(samples, (f) => f.activeCalls),
    queue: series(samples, (f) => f.queueDepth),
    due: series(samples, (f) => f.dueContacts),
  };
}

export interface PaceChange {
  at: Date;
  from: number;
  to: number;
}

/** Every change of the pace in force between consecutive samples (adaptive cuts, edits, pause). */
export function paceChanges(samples: Sample[]): PaceChange[] {
  const out: PaceChange[] = [];
  let prev: number | undefined;
  for (const s of samples) {
    const p = s.f.paceInForce;
    if (p === undefined) continue;
    if (prev !== undefined && p !== prev) out.push({ at: timeOf(s), from: prev, to: p });
    prev = p;
  }
  return out;
}

/**
 * Attempts per second between consecutive samples, from the growth of counts.attempts over the
 * time between their snapshots. A counter that went down (a different campaign set) gives no point.
 */
export function attemptsRate(samples: Sample[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < samples.length; i += 1) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const da = (b.f.counts.attempts ?? 0) - (a.f.counts.attempts ?? 0);
    const dt = (timeOf(b).getTime() - timeOf(a).getTime()) / 1000;
    if (dt <= 0 || da < 0) continue;
    out.push({ x: timeOf(b), y: Math.round((da / dt) * 100) / 100 });
  }
  return out;
}

export const OUTCOMES: { key: keyof Counts; label: string }[] = [
  { key: 'answered', label: 'Answered' },
  { key: 'busy', label: 'Busy' },
  { key: 'no_answer', label: 'No answer' },
  { key: 'failed', label: 'Failed' },
  { key: 'converted', label: 'Converted' },
  { key: 'opted_out', label: 'Opted out' },
];

export function outcomeBars(counts: Counts): { x: string; y: number }[] {
  return OUTCOMES.map((o) => ({ x: o.label, y: counts[o.key] ?? 0 }));
}

export const CONTACT_STATUSES = [
  { key: 'pending', label: 'Pending' },
  { key: 'in_progress', label: 'In progress' },
  { key: 'completed', label: 'Completed' },
  { key: 'failed', label: 'Failed' },
  { key: 'blacklisted', label: 'Blacklisted' },
] as const;

/** Contacts by status as pie slices; empty slices are left out (a pie cannot show zero). */
export function contactSlices(f: Flat): { title: string; value: number }[] {
  return CONTACT_STATUSES.map((s) => ({ title: s.label, value: f.contacts[s.key] ?? 0 })).filter((s) => s.value > 0);
}

export interface Day {
  date: string;
  counts?: Counts;
}

/** Daily history as one series per outcome, x = the day. */
export function historySeries(days: Day[], keys: (keyof Counts)[] = ['attempts', 'answered', 'converted']): { key: keyof Counts; points: { x: string; y: number }[] }[] {
  return keys.map((key) => ({ key, points: days.map((d) => ({ x: d.date, y: d.counts?.[key] ?? 0 })) }));
}
