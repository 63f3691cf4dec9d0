import { describe, expect, it } from 'vitest';
import type { Flat } from './metrics';
import { flatten } from './metrics';
import { addSample, attemptsRate, contactSlices, historySeries, outcomeBars, paceChanges, paceSeries, type Sample } from './series';

function flat(at: string, over: Partial<Flat> = {}): Flat {
  return { at, counts: {}, rates: {}, contacts: {}, alerts: [], ...over };
}
const T0 = Date.parse('2026-12-07T10:00:00Z');
const sec = (n: number) => new Date(T0 + n * 1000).toISOString();

describe('addSample', () => {
  it('GIVEN the same snapshot twice (stream and poll) THEN it is kept once', () => {
    let s: Sample[] = [];
    s = addSample(s, { t: 1, f: flat(sec(0)) });
    s = addSample(s, { t: 2, f: flat(sec(0)) });
    s = addSample(s, { t: 3, f: flat(sec(1)) });
    expect(s.map((x) => x.t)).toEqual([1, 3]);
  });
  it('GIVEN more samples than the cap THEN the oldest are dropped', () => {
    let s: Sample[] = [];
    for (let i = 0; i < 10; i += 1) s = addSample(s, { t: i, f: flat(sec(i)) }, 4);
    expect(s.map((x) => x.t)).toEqual([6, 7, 8, 9]);
  });
});

describe('pace series and changes', () => {
  const samples: Sample[] = [
    { t: 0, f: flat(sec(0), { dialRate: 0, paceInForce: 5, configuredPace: 5 }) },
    { t: 1, f: flat(sec(1), { dialRate: 4.5, paceInForce: 5, configuredPace: 5 }) },
    { t: 2, f: flat(sec(2), { dialRate: 4.8, paceInForce: 2, configuredPace: 5 }) },
    { t: 3, f: flat(sec(3), { dialRate: 2.1, paceInForce: 2, configuredPace: 5 }) },
    { t: 4, f: flat(sec(4), { dialRate: 0, paceInForce: 0, configuredPace: 5 }) },
  ];
  it('GIVEN samples THEN each series has a point per sample at the server time', () => {
    const p = paceSeries(samples);
    expect(p.measured.map((x) => x.y)).toEqual([0, 4.5, 4.8, 2.1, 0]);
    expect(p.inForce.map((x) => x.y)).toEqual([5, 5, 2, 2, 0]);
    expect(p.configured.every((x) => x.y === 5)).toBe(true);
    expect(p.measured[2]?.x.toISOString()).toBe(sec(2));
  });
  it('GIVEN the pace in force cut then stopped THEN both changes are listed with from → to', () => {
    expect(paceChanges(samples).map((c) => [c.at.toISOString(), c.from, c.to])).toEqual([
      [sec(2), 5, 2],
      [sec(4), 2, 0],
    ]);
  });
  it('GIVEN an aggregate snapshot without pace THEN the pace series are empty, not zero', () => {
    const f = flatten({ at: sec(0), campaigns: 2, dialling_rate_cps: 3 });
    const p = paceSeries([{ t: 0, f }]);
    expect(p.inForce).toEqual([]);
    expect(p.measured.map((x) => x.y)).toEqual([3]);
  });
});

describe('attemptsRate', () => {
  it('GIVEN attempts growing 10 over 2 s THEN 5 per second; a counter going down gives no point', () => {
    const s: Sample[] = [
      { t: 0, f: flat(sec(0), { counts: { attempts: 100 } }) },
      { t: 0, f: flat(sec(2), { counts: { attempts: 110 } }) },
      { t: 0, f: flat(sec(3), { counts: { attempts: 50 } }) },
      { t: 0, f: flat(sec(4), { counts: { attempts: 53 } }) },
    ];
    expect(attemptsRate(s).map((p) => [p.x.toISOString(), p.y])).toEqual([
      [sec(2), 5],
      [sec(4), 3],
    ]);
  });
});

describe('bars, slices and history', () => {
  it('GIVEN counts THEN the six outcomes in order, missing ones as 0', () => {
    expect(outcomeBars({ answered: 7, busy: 2, opted_out: 1 })).toEqual([
      { x: 'Answered', y: 7 },
      { x: 'Busy', y: 2 },
      { x: 'No answer', y: 0 },
      { x: 'Failed', y: 0 },
      { x: 'Converted', y: 0 },
      { x: 'Opted out', y: 1 },
    ]);
  });
  it('GIVEN contacts by status THEN zero slices are left out', () => {
    expect(contactSlices(flat(sec(0), { contacts: { pending: 10, completed: 3, failed: 0 } }))).toEqual([
      { title: 'Pending', value: 10 },
      { title: 'Completed', value: 3 },
    ]);
  });
  it('GIVEN days THEN a series per key with a point per day', () => {
    const h = historySeries([{ date: '2026-12-06', counts: { attempts: 4, answered: 2 } }, { date: '2026-12-07' }], ['attempts', 'answered']);
    expect(h).toEqual([
      { key: 'attempts', points: [{ x: '2026-12-06', y: 4 }, { x: '2026-12-07', y: 0 }] },
      { key: 'answered', points: [{ x: '2026-12-06', y: 2 }, { x: '2026-12-07', y: 0 }] },
    ]);
  });
});
