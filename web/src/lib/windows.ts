// The calling-window week grid (days × hours) ⇄ the API's windows (days + start/end times).
// A window cannot cross midnight (core schedule rules): each day's runs of hours become their
// own windows, and a run up to midnight ends at 23:59:59, the core's "until midnight".
import type { CampaignWindow } from '../api/client';

/** Grid rows, Sunday first (the week of Asia/Jerusalem). */
export const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export const DAY_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type Grid = boolean[][]; // [day 0..6][hour 0..23]

export function emptyGrid(): Grid {
  return DAYS.map(() => Array.from({ length: 24 }, () => false));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "09:00", "9:30:15", "23:59:59" → minutes (seconds rounded up, so 23:59:59 is 1440). */
export function toMinutes(t: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(t.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3] ?? 0);
  if (h > 23 || min > 59 || s > 59) return null;
  return h * 60 + min + (s > 0 ? 1 : 0);
}

function dayIndex(day: string): number {
  const d = day.trim().toLowerCase();
  return DAYS.findIndex((name) => name === d || name.slice(0, 3) === d);
}

/**
 * The grid's windows: runs of hours per day, days with the same run merged into one window.
 * Order: by start time, then end, days Sunday first.
 */
export function gridToWindows(grid: Grid): CampaignWindow[] {
  const byRun = new Map<string, { start: number; end: number; days: number[] }>();
  grid.forEach((hours, day) => {
    let h = 0;
    while (h < 24) {
      if (!hours[h]) {
        h += 1;
        continue;
      }
      const start = h;
      while (h < 24 && hours[h]) h += 1;
      const key = `${start}-${h}`;
      const run = byRun.get(key) ?? { start, end: h, days: [] };
      run.days.push(day);
      byRun.set(key, run);
    }
  });
  return [...byRun.values()]
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((r) => ({
      days: r.days.map((d) => DAYS[d]!),
      start: `${pad(r.start)}:00`,
      end: r.end === 24 ? '23:59:59' : `${pad(r.end)}:00`,
    }));
}

/**
 * The grid for the API's windows. An hour is on when a window covers any part of it;
 * `exact` is false when some window does not start and end on whole hours (the grid then
 * shows it widened to whole hours, and saving the grid would widen it).
 */
export function windowsToGrid(windows: readonly CampaignWindow[]): { grid: Grid; exact: boolean; problems: string[] } {
  const grid = emptyGrid();
  let exact = true;
  const problems: string[] = [];
  windows.forEach((w, i) => {
    const start = toMinutes(w.start);
    const end = toMinutes(w.end);
    if (start === null || end === null || start >= end) {
      problems.push(`window ${i + 1}: ${w.start}–${w.end} is not a valid time range`);
      return;
    }
    if (start % 60 !== 0 || (end % 60 !== 0 && end !== 1440)) exact = false;
    for (const day of w.days) {
      const d = dayIndex(day);
      if (d < 0) {
        problems.push(`window ${i + 1}: unknown day ${day}`);
        continue;
      }
      for (let h = Math.floor(start / 60); h < Math.ceil(end / 60); h += 1) grid[d]![h] = true;
    }
  });
  return { grid, exact, problems };
}

/** Sets every cell of the rectangle between two corners (a drag) to `value`. */
export function paintRect(grid: Grid, from: [number, number], to: [number, number], value: boolean): Grid {
  const [d0, d1] = [Math.min(from[0], to[0]), Math.max(from[0], to[0])];
  const [h0, h1] = [Math.min(from[1], to[1]), Math.max(from[1], to[1])];
  return grid.map((hours, d) => hours.map((on, h) => (d >= d0 && d <= d1 && h >= h0 && h <= h1 ? value : on)));
}

/** One line per window, for summaries: "Sun–Thu 09:00–20:00". */
export function describeWindows(windows: readonly CampaignWindow[]): string[] {
  return windows.map((w) => {
    const idx = w.days.map(dayIndex).filter((d) => d >= 0).sort((a, b) => a - b);
    const consecutive = idx.length > 2 && idx.every((d, i) => i === 0 || d === idx[i - 1]! + 1);
    const days = consecutive
      ? `${DAY_SHORT[idx[0]!]}–${DAY_SHORT[idx[idx.length - 1]!]}`
      : idx.map((d) => DAY_SHORT[d]).join(', ');
    const t = (s: string) => (s.startsWith('23:59:59') ? '24:00' : s.slice(0, 5));
    return `${days} ${t(w.start)}–${t(w.end)}`;
  });
}
