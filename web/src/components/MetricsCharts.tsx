// The dashboard's charts (Cloudscape charts; one lazily loaded chunk with the dashboard page).
import BarChart from '@cloudscape-design/components/bar-chart';
import Box from '@cloudscape-design/components/box';
import LineChart from '@cloudscape-design/components/line-chart';
import PieChart from '@cloudscape-design/components/pie-chart';
import type { Flat } from '../lib/metrics';
import { attemptsRate, contactSlices, historySeries, loadSeries, outcomeBars, paceSeries, type Day, type Point, type Sample } from '../lib/series';

const time = (d: Date) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const empty = (what: string) => (
  <Box textAlign="center" color="inherit">
    <b>No data yet</b>
    <Box variant="p" color="inherit">
      {what}
    </Box>
  </Box>
);

function domain(samples: Sample[]): [Date, Date] | undefined {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return undefined;
  const a = first.f.at ? new Date(first.f.at) : new Date(first.t);
  const b = last.f.at ? new Date(last.f.at) : new Date(last.t);
  return a.getTime() === b.getTime() ? [new Date(a.getTime() - 1000), b] : [a, b];
}

function maxOf(...series: Point[][]): number {
  return Math.max(1, ...series.flat().map((p) => p.y));
}

export function PaceChart({ samples }: { samples: Sample[] }) {
  const p = paceSeries(samples);
  const hasPace = p.inForce.length > 0;
  const perSec = attemptsRate(samples);
  const top = Math.ceil(maxOf(p.measured, p.inForce, p.configured, perSec) * 1.2);
  return (
    <LineChart
      height={220}
      xScaleType="time"
      xDomain={domain(samples)}
      yDomain={[0, top]}
      xTickFormatter={time}
      yTitle="calls / second"
      ariaLabel="Dialling rate and pace"
      hideFilter
      statusType="finished"
      empty={empty('The rates appear as snapshots arrive.')}
      series={[
        { title: 'Measured dialling rate', type: 'line', data: p.measured },
        ...(hasPace
          ? ([
              { title: 'Pace in force', type: 'line', data: p.inForce },
              { title: 'Configured pace', type: 'line', data: p.configured },
            ] as const)
          : []),
        { title: 'Attempts per second (from counts)', type: 'line', data: perSec },
      ]}
    />
  );
}

export function LoadChart({ samples }: { samples: Sample[] }) {
  const l = loadSeries(samples);
  return (
    <LineChart
      height={220}
      xScaleType="time"
      xDomain={domain(samples)}
      yDomain={[0, Math.ceil(maxOf(l.active, l.queue, l.due) * 1.2)]}
      xTickFormatter={time}
      ariaLabel="Active calls, queue depth and due contacts"
      hideFilter
      statusType="finished"
      empty={empty('Calls and queue appear as snapshots arrive.')}
      series={[
        { title: 'Active calls', type: 'line', data: l.active },
        { title: 'Queue depth', type: 'line', data: l.queue },
        { title: 'Due contacts', type: 'line', data: l.due },
      ]}
    />
  );
}

export function OutcomeChart({ flat }: { flat: Flat }) {
  const bars = outcomeBars(flat.counts);
  return (
    <BarChart
      height={200}
      xScaleType="categorical"
      yDomain={[0, Math.max(1, ...bars.map((b) => b.y))]}
      ariaLabel="Call outcomes"
      hideFilter
      hideLegend
      series={[{ title: 'Calls', type: 'bar', data: bars }]}
    />
  );
}

export function ContactsPie({ flat }: { flat: Flat }) {
  return (
    <PieChart
      size="small"
      variant="donut"
      hideFilter
      ariaLabel="Contacts by status"
      data={contactSlices(flat)}
      innerMetricDescription="contacts"
      innerMetricValue={String(contactSlices(flat).reduce((a, s) => a + s.value, 0))}
      empty={empty('No contacts.')}
    />
  );
}

export function HistoryChart({ days }: { days: Day[] }) {
  const series = historySeries(days, ['attempts', 'answered', 'converted']);
  const titles: Record<string, string> = { attempts: 'Attempts', answered: 'Answered', converted: 'Converted' };
  return (
    <BarChart
      height={200}
      xScaleType="categorical"
      yDomain={[0, Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)))]}
      ariaLabel="Calls by day"
      hideFilter
      empty={empty('No calls in this range.')}
      series={series.map((s) => ({ title: titles[s.key] ?? s.key, type: 'bar' as const, data: s.points }))}
    />
  );
}

export function CompareChart({ rows, pick, title }: { rows: { name: string; value: number }[]; pick: 'count' | 'rate'; title: string }) {
  return (
    <BarChart
      height={220}
      xScaleType="categorical"
      yDomain={pick === 'rate' ? [0, 100] : [0, Math.max(1, ...rows.map((r) => r.value))]}
      yTitle={pick === 'rate' ? '%' : undefined}
      ariaLabel={title}
      hideFilter
      hideLegend
      series={[{ title, type: 'bar', data: rows.map((r) => ({ x: r.name, y: r.value })) }]}
    />
  );
}
