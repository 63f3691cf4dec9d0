import { edges as flowEdges, layout, type IvrFlow, type IvrNode } from '../lib/ivrFlow';

const W = 170;
const H = 58;
const GAP_X = 140;
const GAP_Y = 34;
const PAD = 16;

function subtitle(n: IvrNode): string {
  switch (n.type) {
    case 'play_audio':
      return n.audioUrl || '(no audio)';
    case 'menu':
      return `keys ${Object.keys(n.options).sort().join(' ') || '—'}`;
    case 'capture_input':
      return `up to ${n.maxDigits} digits`;
    case 'action':
      return n.action.type;
  }
}

const FILL: Record<IvrNode['type'], string> = {
  play_audio: '#e8f2fd',
  menu: '#fdf3e1',
  capture_input: '#eef7ea',
  action: '#fbe9ea',
};

/**
 * The flow as a diagram: columns by depth from the start node, arrows labelled with the
 * key (and action) or "timeout". Plain SVG; no graph library.
 */
export function FlowDiagram({ flow, selected, onSelect }: { flow: IvrFlow; selected?: string; onSelect?: (id: string) => void }) {
  const { positions, unreachable } = layout(flow);
  const at = (id: string) => {
    const p = positions[id];
    return p ? { x: PAD + p.depth * (W + GAP_X), y: PAD + p.row * (H + GAP_Y) } : null;
  };
  const cols = Math.max(1, ...Object.values(positions).map((p) => p.depth + 1));
  const rows = Math.max(1, ...Object.values(positions).map((p) => p.row + 1));
  const width = PAD * 2 + cols * W + (cols - 1) * GAP_X;
  const height = PAD * 2 + rows * H + (rows - 1) * GAP_Y;
  const arrows = flowEdges(flow);
  // Terminal paths (a key whose option goes nowhere) are listed on the node instead of drawn.
  return (
    <svg
      role="img"
      aria-label={`IVR flow diagram: ${flow.nodes.length} nodes, starting at ${flow.startNodeId}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      style={{ direction: 'ltr', fontFamily: 'inherit', display: 'block' }}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6b7a" />
        </marker>
      </defs>
      {arrows.map((e, i) => {
        const a = at(e.from);
        const b = at(e.to);
        if (!a || !b) return null;
        const back = b.x <= a.x;
        const x1 = a.x + W;
        const y1 = a.y + H / 2;
        const x2 = back ? b.x + W / 2 : b.x;
        const y2 = back ? b.y + H : b.y + H / 2;
        const mx = (x1 + x2) / 2;
        const path = back
          ? `M ${x1} ${y1} C ${x1 + 60} ${y1 + 70}, ${x2} ${y2 + 60}, ${x2} ${y2}`
          : `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`;
        return (
          <g key={`${e.from}-${e.to}-${i}`}>
            <path d={path} fill="none" stroke="#5f6b7a" strokeWidth={1.4} markerEnd="url(#arrow)" />
            {e.label && (
              <text x={mx} y={(y1 + y2) / 2 - 5 - (i % 2) * 11} fontSize={11} textAnchor="middle" fill="#414d5c">
                {e.label}
              </text>
            )}
          </g>
        );
      })}
      {flow.nodes.map((n) => {
        const p = at(n.id);
        if (!p) return null;
        const isStart = n.id === flow.startNodeId;
        const lost = unreachable.includes(n.id);
        return (
          <g
            key={n.id}
            transform={`translate(${p.x} ${p.y})`}
            onClick={onSelect ? () => onSelect(n.id) : undefined}
            style={{ cursor: onSelect ? 'pointer' : 'default' }}
          >
            <title>{`${n.id} (${n.type})`}</title>
            <rect
              width={W}
              height={H}
              rx={8}
              fill={FILL[n.type]}
              stroke={selected === n.id ? '#0972d3' : lost ? '#d91515' : '#8d99a8'}
              strokeWidth={selected === n.id ? 3 : 1.2}
              strokeDasharray={lost ? '5 3' : undefined}
            />
            <text x={10} y={20} fontSize={13} fontWeight={700} fill="#000716">
              {isStart ? '▶ ' : ''}
              {n.id.length > 20 ? `${n.id.slice(0, 19)}…` : n.id}
            </text>
            <text x={10} y={36} fontSize={11} fill="#5f6b7a">
              {n.type}
            </text>
            <text x={10} y={50} fontSize={11} fill="#414d5c">
              {(() => {
                const s = subtitle(n);
                return s.length > 26 ? `${s.slice(0, 25)}…` : s;
              })()}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
