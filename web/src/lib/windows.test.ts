import { describe, expect, it } from 'vitest';
import { describeWindows, emptyGrid, gridToWindows, paintRect, windowsToGrid } from './windows';

describe('week grid → windows', () => {
  it('turns Sunday–Thursday 09–20 into one window with five days', () => {
    // GIVEN a grid painted Sun..Thu from 09:00 up to 20:00 (hours 9..19)
    const grid = paintRect(emptyGrid(), [0, 9], [4, 19], true);
    // THEN it is one window naming the five days
    expect(gridToWindows(grid)).toEqual([
      { days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], start: '09:00', end: '20:00' },
    ]);
  });

  it('splits a night shift at midnight and writes 23:59:59 for "until midnight"', () => {
    // GIVEN Friday 22:00 → Saturday 02:00 painted
    let grid = paintRect(emptyGrid(), [5, 22], [5, 23], true);
    grid = paintRect(grid, [6, 0], [6, 1], true);
    expect(gridToWindows(grid)).toEqual([
      { days: ['saturday'], start: '00:00', end: '02:00' },
      { days: ['friday'], start: '22:00', end: '23:59:59' },
    ]);
  });

  it('keeps two runs on the same day apart', () => {
    let grid = paintRect(emptyGrid(), [1, 9], [1, 11], true);
    grid = paintRect(grid, [1, 17], [1, 19], true);
    expect(gridToWindows(grid)).toEqual([
      { days: ['monday'], start: '09:00', end: '12:00' },
      { days: ['monday'], start: '17:00', end: '20:00' },
    ]);
  });

  it('gives no windows for an empty grid (the API then means any time)', () => {
    expect(gridToWindows(emptyGrid())).toEqual([]);
  });
});

describe('windows → week grid', () => {
  it('round-trips what the grid makes, in the API\'s serialised form too', () => {
    let grid = paintRect(emptyGrid(), [0, 9], [4, 19], true);
    grid = paintRect(grid, [5, 22], [5, 23], true);
    const windows = gridToWindows(grid);
    expect(windowsToGrid(windows)).toEqual({ grid, exact: true, problems: [] });
    // the API answers full day names and HH:MM:SS
    const served = windows.map((w) => ({ ...w, start: `${w.start}:00`.slice(0, 8), end: w.end.length === 5 ? `${w.end}:00` : w.end }));
    expect(windowsToGrid(served).grid).toEqual(grid);
  });

  it('reads 3-letter day names in any case, and widens windows off the hour (saying so)', () => {
    const { grid, exact } = windowsToGrid([{ days: ['MON', 'wed'], start: '09:30', end: '11:15' }]);
    expect(exact).toBe(false);
    expect(grid[1]!.map((on, h) => (on ? h : -1)).filter((h) => h >= 0)).toEqual([9, 10, 11]);
    expect(grid[3]![9]).toBe(true);
    expect(grid[2]![9]).toBe(false);
  });

  it('reports a window it cannot read instead of dropping it silently', () => {
    const { problems } = windowsToGrid([
      { days: ['funday'], start: '09:00', end: '10:00' },
      { days: ['mon'], start: '20:00', end: '09:00' },
    ]);
    expect(problems).toEqual(['window 1: unknown day funday', 'window 2: 20:00–09:00 is not a valid time range']);
  });
});

describe('describeWindows', () => {
  it('summarises consecutive days as a range', () => {
    expect(
      describeWindows([
        { days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], start: '09:00:00', end: '20:00:00' },
        { days: ['friday'], start: '22:00', end: '23:59:59' },
      ]),
    ).toEqual(['Sun–Thu 09:00–20:00', 'Fri 22:00–24:00']);
  });
});
