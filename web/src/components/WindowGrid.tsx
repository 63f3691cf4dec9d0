import { useEffect, useRef, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { DAYS, DAY_SHORT, emptyGrid, gridToWindows, paintRect, describeWindows, type Grid } from '../lib/windows';

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Calling windows as a week grid: click a cell to toggle an hour, drag to paint a rectangle
 * (the first cell's new value is painted). Below it, the windows the API will get.
 */
export function WindowGrid({ grid, onChange, disabled }: { grid: Grid; onChange: (g: Grid) => void; disabled?: boolean }) {
  const [drag, setDrag] = useState<{ from: [number, number]; to: [number, number]; value: boolean } | null>(null);
  const base = useRef<Grid>(grid);
  useEffect(() => {
    if (!drag) return;
    const up = () => setDrag(null);
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  }, [drag]);

  const start = (d: number, h: number) => {
    if (disabled) return;
    base.current = grid;
    const value = !grid[d]![h];
    setDrag({ from: [d, h], to: [d, h], value });
    onChange(paintRect(grid, [d, h], [d, h], value));
  };
  const over = (d: number, h: number) => {
    if (!drag) return;
    setDrag({ ...drag, to: [d, h] });
    onChange(paintRect(base.current, drag.from, [d, h], drag.value));
  };
  const windows = gridToWindows(grid);
  const cell = 26;

  return (
    <SpaceBetween size="s">
      <div style={{ overflowX: 'auto', direction: 'ltr' }}>
        <table
          role="grid"
          aria-label="Calling windows: days by hours"
          style={{ borderCollapse: 'collapse', userSelect: 'none', fontSize: 11 }}
          onMouseLeave={() => setDrag(null)}
        >
          <thead>
            <tr>
              <th />
              {HOURS.map((h) => (
                <th key={h} style={{ width: cell, fontWeight: 400, color: '#5f6b7a' }}>
                  {pad(h)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {DAYS.map((day, d) => (
              <tr key={day}>
                <th scope="row" style={{ paddingInlineEnd: 8, textAlign: 'start', fontWeight: 600 }}>
                  {DAY_SHORT[d]}
                </th>
                {HOURS.map((h) => {
                  const on = grid[d]![h]!;
                  return (
                    <td key={h} style={{ padding: 1 }}>
                      <button
                        type="button"
                        aria-label={`${day} ${pad(h)}:00`}
                        aria-pressed={on}
                        disabled={disabled}
                        onMouseDown={(e) => {
                          e.preventDefault();
                          start(d, h);
                        }}
                        onMouseEnter={() => over(d, h)}
                        onKeyDown={(e) => {
                          if (e.key === ' ' || e.key === 'Enter') {
                            e.preventDefault();
                            onChange(paintRect(grid, [d, h], [d, h], !on));
                          }
                        }}
                        style={{
                          width: cell - 2,
                          height: 22,
                          border: '1px solid #c6c6cd',
                          borderRadius: 3,
                          background: on ? '#0972d3' : h < 8 || h >= 21 ? '#f4f4f4' : '#ffffff',
                          cursor: disabled ? 'not-allowed' : 'pointer',
                          padding: 0,
                        }}
                      />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <SpaceBetween direction="horizontal" size="xs">
        <Button disabled={disabled} onClick={() => onChange(paintRect(emptyGrid(), [0, 9], [4, 19], true))}>
          Sun–Thu 09–20
        </Button>
        <Button disabled={disabled} onClick={() => onChange(emptyGrid())}>
          Clear
        </Button>
      </SpaceBetween>
      <Box variant="small" color="text-body-secondary">
        {windows.length === 0
          ? 'No windows: calls may be placed at any time between the start and the end.'
          : `Windows: ${describeWindows(windows).join('; ')}`}
      </Box>
    </SpaceBetween>
  );
}
