import { describe, expect, it } from 'vitest';
import { utcToZoned, zonedToUtc } from './zonedTime';

describe('wall time in a campaign zone → UTC', () => {
  it('converts an ordinary summer morning in Jerusalem (UTC+3)', () => {
    expect(zonedToUtc('2026-06-01', '09:00', 'Asia/Jerusalem')).toBe('2026-06-01T06:00:00.000Z');
    expect(zonedToUtc('2026-12-01', '09:00', 'Asia/Jerusalem')).toBe('2026-12-01T07:00:00.000Z');
  });

  it('moves a time skipped by spring-forward to the end of the gap (Jerusalem 27 March, New York 8 March 2026)', () => {
    expect(zonedToUtc('2026-03-27', '02:30', 'Asia/Jerusalem')).toBe('2026-03-27T00:00:00.000Z');
    expect(zonedToUtc('2026-03-08', '02:30', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
  });

  it('takes the earlier instant of a repeated fall-back time (New York 1 November 2026)', () => {
    expect(zonedToUtc('2026-11-01', '01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('round-trips back to the wall clock', () => {
    expect(utcToZoned('2026-06-01T06:00:00Z', 'Asia/Jerusalem')).toEqual({ date: '2026-06-01', time: '09:00' });
    expect(utcToZoned('2026-11-01T06:30:00Z', 'America/New_York')).toEqual({ date: '2026-11-01', time: '01:30' });
  });

  it('refuses what is not a date and time', () => {
    expect(() => zonedToUtc('tomorrow', '09:00', 'UTC')).toThrow(/not a date and time/);
  });
});
