// Wall-clock date/time in a campaign's IANA time zone ⇄ UTC instants, with Intl only
// (the campaign's start and end are entered in its own zone, not the browser's).

/** The zone's offset from UTC, in minutes, at the instant `utcMs`. */
export function zoneOffsetMinutes(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/**
 * "2026-03-27" + "09:00" in `timeZone` → ISO UTC instant. A time skipped by a spring-forward
 * moves to the first instant after the gap; a repeated one takes the earlier (as the core's windows do).
 */
export function zonedToUtc(date: string, time: string, timeZone: string): string {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!d || !t) throw new Error(`not a date and time: ${date} ${time}`);
  const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
  // Try the offsets in force a day either side; keep the earliest candidate that shows this wall time.
  const offsets = [...new Set([zoneOffsetMinutes(wall - 86_400_000, timeZone), zoneOffsetMinutes(wall + 86_400_000, timeZone)])];
  const exact = offsets
    .map((o) => wall - o * 60_000)
    .filter((utc) => utc + zoneOffsetMinutes(utc, timeZone) * 60_000 === wall)
    .sort((a, b) => a - b);
  if (exact[0] !== undefined) return new Date(exact[0]).toISOString();
  return new Date(firstAfterGap(wall, offsets, timeZone)).toISOString();
}

function firstAfterGap(wall: number, offsets: number[], timeZone: string): number {
  // Under the smaller (pre-jump) offset, the wall time maps past the jump; the jump itself is the
  // first instant whose offset is the larger one. Search it to the minute.
  let lo = wall - Math.max(...offsets) * 60_000 - 3 * 3_600_000;
  let hi = wall - Math.min(...offsets) * 60_000;
  const big = Math.max(...offsets);
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 120_000) * 60_000;
    if (zoneOffsetMinutes(mid, timeZone) === big) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** ISO instant → { date: "YYYY-MM-DD", time: "HH:MM" } on the wall clock of `timeZone`. */
export function utcToZoned(iso: string, timeZone: string): { date: string; time: string } {
  const ms = Date.parse(iso);
  const local = new Date(ms + zoneOffsetMinutes(ms, timeZone) * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}`,
    time: `${p(local.getUTCHours())}:${p(local.getUTCMinutes())}`,
  };
}

/** The IANA zones this browser knows (for the time zone picker). */
export function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}
