// The IVR flow builder's logic: the flow in the API's JSON (the core's IVRFlowDefinition,
// camelCase keys, shared/core/src/ivr/flow.rs), edits that keep references intact, and a
// layout by depth from the start node for the SVG diagram. Validation is the API's
// (POST /api/ivr-flows/validate); `localProblems` only catches what the editor can see at once.

export type ActionType = 'send_sms' | 'transfer_agent' | 'add_to_blacklist' | 'trigger_donation' | 'end_call';
export const ACTION_TYPES: readonly ActionType[] = ['trigger_donation', 'send_sms', 'add_to_blacklist', 'transfer_agent', 'end_call'];
/** Actions after which nothing else runs (core: IvrAction::ends_ivr). */
export const ENDS_IVR: readonly ActionType[] = ['add_to_blacklist', 'end_call', 'transfer_agent'];
export const DTMF_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'] as const;

export interface ActionSpec {
  type: ActionType;
  parameters?: Record<string, unknown>;
}
export interface MenuOption {
  action?: ActionSpec;
  nextNodeId?: string;
}
export interface PlayAudioNode {
  id: string;
  type: 'play_audio';
  audioUrl: string;
  nextNodeId?: string;
}
export interface MenuNode {
  id: string;
  type: 'menu';
  audioUrl: string;
  options: Record<string, MenuOption>;
  timeout?: number;
  maxRetries?: number;
  invalidAudioUrl?: string;
  timeoutAudioUrl?: string;
  repeatOnTimeout?: boolean;
  onTimeout?: MenuOption;
}
export interface CaptureNode {
  id: string;
  type: 'capture_input';
  audioUrl?: string;
  maxDigits: number;
  timeout?: number;
  nextNodeId?: string;
}
export interface ActionNode {
  id: string;
  type: 'action';
  action: ActionSpec;
  nextNodeId?: string;
}
export type IvrNode = PlayAudioNode | MenuNode | CaptureNode | ActionNode;
export type NodeType = IvrNode['type'];
export interface IvrFlow {
  startNodeId: string;
  nodes: IvrNode[];
}

export const DEFAULT_INVALID_AUDIO = 'sound:option-is-invalid';
export const DEFAULT_TIMEOUT_AUDIO = 'sound:vm-goodbye';
export const STANDARD_MENU_AUDIO = 'sound:press-1-to-donate-9-to-opt-out';
export const STANDARD_THANKS_AUDIO = 'sound:auth-thankyou';

/** The core's standard flow around `audio` (IvrFlow::standard): message → menu (1 donate → thanks, 9 opt out). */
export function standardFlow(audio: string): IvrFlow {
  return {
    startNodeId: 'message',
    nodes: [
      { id: 'message', type: 'play_audio', audioUrl: audio, nextNodeId: 'menu' },
      {
        id: 'menu',
        type: 'menu',
        audioUrl: STANDARD_MENU_AUDIO,
        options: {
          '1': { action: { type: 'trigger_donation' }, nextNodeId: 'thanks' },
          '9': { action: { type: 'add_to_blacklist' } },
        },
        timeout: 10,
        maxRetries: 2,
        invalidAudioUrl: DEFAULT_INVALID_AUDIO,
        timeoutAudioUrl: DEFAULT_TIMEOUT_AUDIO,
        onTimeout: { action: { type: 'end_call' } },
      },
      { id: 'thanks', type: 'play_audio', audioUrl: STANDARD_THANKS_AUDIO },
    ],
  };
}

/** A fresh id like `menu_2` not used in the flow. */
export function freshId(flow: IvrFlow, type: NodeType): string {
  const stem = { play_audio: 'play', menu: 'menu', capture_input: 'capture', action: 'action' }[type];
  const used = new Set(flow.nodes.map((n) => n.id));
  if (!used.has(stem)) return stem;
  for (let i = 2; ; i += 1) if (!used.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

export function newNode(type: NodeType, id: string): IvrNode {
  switch (type) {
    case 'play_audio':
      return { id, type, audioUrl: '' };
    case 'menu':
      return {
        id,
        type,
        audioUrl: '',
        options: {},
        timeout: 10,
        maxRetries: 2,
        invalidAudioUrl: DEFAULT_INVALID_AUDIO,
        timeoutAudioUrl: DEFAULT_TIMEOUT_AUDIO,
        onTimeout: { action: { type: 'end_call' } },
      };
    case 'capture_input':
      return { id, type, maxDigits: 4, timeout: 10 };
    case 'action':
      return { id, type, action: { type: 'end_call' } };
  }
}

/** Adds a node of `type`; the first node of an empty flow becomes its start. */
export function addNode(flow: IvrFlow, type: NodeType, id = freshId(flow, type)): IvrFlow {
  if (flow.nodes.some((n) => n.id === id)) throw new Error(`a node named ${id} exists already`);
  return { startNodeId: flow.nodes.length === 0 ? id : flow.startNodeId, nodes: [...flow.nodes, newNode(type, id)] };
}

function mapRefs(node: IvrNode, f: (target: string) => string | undefined): IvrNode {
  const opt = (o: MenuOption): MenuOption => {
    const next = o.nextNodeId === undefined ? undefined : f(o.nextNodeId);
    const out: MenuOption = { ...o };
    if (next === undefined) delete out.nextNodeId;
    else out.nextNodeId = next;
    return out;
  };
  if (node.type === 'menu') {
    return {
      ...node,
      options: Object.fromEntries(Object.entries(node.options).map(([k, o]) => [k, opt(o)])),
      ...(node.onTimeout ? { onTimeout: opt(node.onTimeout) } : {}),
    };
  }
  const next = node.nextNodeId === undefined ? undefined : f(node.nextNodeId);
  const out = { ...node };
  if (next === undefined) delete out.nextNodeId;
  else out.nextNodeId = next;
  return out;
}

/** Removes a node and every reference to it (those paths then end the call). */
export function removeNode(flow: IvrFlow, id: string): IvrFlow {
  const nodes = flow.nodes.filter((n) => n.id !== id).map((n) => mapRefs(n, (t) => (t === id ? undefined : t)));
  const startNodeId = flow.startNodeId === id ? (nodes[0]?.id ?? '') : flow.startNodeId;
  return { startNodeId, nodes };
}

/** Renames a node, updating the start and every nextNodeId that pointed at it. */
export function renameNode(flow: IvrFlow, from: string, to: string): IvrFlow {
  const name = to.trim();
  if (name === '') throw new Error('a node needs a name');
  if (name === from) return flow;
  if (flow.nodes.some((n) => n.id === name)) throw new Error(`a node named ${name} exists already`);
  return {
    startNodeId: flow.startNodeId === from ? name : flow.startNodeId,
    nodes: flow.nodes.map((n) => mapRefs(n.id === from ? { ...n, id: name } : n, (t) => (t === from ? name : t))),
  };
}

export function replaceNode(flow: IvrFlow, node: IvrNode): IvrFlow {
  return { ...flow, nodes: flow.nodes.map((n) => (n.id === node.id ? node : n)) };
}

/** Maps a DTMF key of a menu to an option (replacing what it did). */
export function setOption(flow: IvrFlow, menuId: string, key: string, option: MenuOption): IvrFlow {
  if (!(DTMF_KEYS as readonly string[]).includes(key)) throw new Error(`${key} is not a phone key (0-9, *, #)`);
  return {
    ...flow,
    nodes: flow.nodes.map((n) => (n.id === menuId && n.type === 'menu' ? { ...n, options: { ...n.options, [key]: option } } : n)),
  };
}

export function removeOption(flow: IvrFlow, menuId: string, key: string): IvrFlow {
  return {
    ...flow,
    nodes: flow.nodes.map((n) => {
      if (n.id !== menuId || n.type !== 'menu') return n;
      const options = { ...n.options };
      delete options[key];
      return { ...n, options };
    }),
  };
}

export interface Edge {
  from: string;
  to: string;
  label: string;
}

/** Every arrow of the diagram: next nodes, keys (with their action), the timeout branch. */
export function edges(flow: IvrFlow): Edge[] {
  const out: Edge[] = [];
  const actionLabel = (o: MenuOption) => (o.action ? ` ${o.action.type}` : '');
  for (const n of flow.nodes) {
    if (n.type === 'menu') {
      for (const [key, o] of Object.entries(n.options)) if (o.nextNodeId) out.push({ from: n.id, to: o.nextNodeId, label: `${key}${actionLabel(o)}` });
      if (n.onTimeout?.nextNodeId) out.push({ from: n.id, to: n.onTimeout.nextNodeId, label: `timeout${actionLabel(n.onTimeout)}` });
    } else if (n.nextNodeId) {
      out.push({ from: n.id, to: n.nextNodeId, label: '' });
    }
  }
  return out;
}

/**
 * Columns by depth (shortest path from the start node), rows in order of discovery;
 * nodes not reachable from the start go in a last column so they stay visible.
 */
export function layout(flow: IvrFlow): { positions: Record<string, { depth: number; row: number }>; unreachable: string[] } {
  const ids = new Set(flow.nodes.map((n) => n.id));
  const next = new Map<string, string[]>();
  for (const e of edges(flow)) if (ids.has(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const depth = new Map<string, number>();
  const queue: string[] = [];
  if (ids.has(flow.startNodeId)) {
    depth.set(flow.startNodeId, 0);
    queue.push(flow.startNodeId);
  }
  while (queue.length) {
    const id = queue.shift()!;
    for (const t of next.get(id) ?? []) {
      if (!depth.has(t)) {
        depth.set(t, depth.get(id)! + 1);
        queue.push(t);
      }
    }
  }
  const maxDepth = Math.max(-1, ...depth.values());
  const unreachable = flow.nodes.filter((n) => !depth.has(n.id)).map((n) => n.id);
  for (const id of unreachable) depth.set(id, maxDepth + 1);
  const rows = new Map<number, number>();
  const positions: Record<string, { depth: number; row: number }> = {};
  // Discovery order within a column: BFS order for reachable nodes, flow order for the rest.
  const order = [...depth.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  for (const id of order) {
    const d = depth.get(id)!;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    positions[id] = { depth: d, row };
  }
  return { positions, unreachable };
}

/** Problems the editor can show before asking the API (which checks everything). */
export function localProblems(flow: IvrFlow): string[] {
  const problems: string[] = [];
  const ids = flow.nodes.map((n) => n.id);
  if (!ids.includes(flow.startNodeId)) problems.push(`flow: start node ${flow.startNodeId || '(none)'} does not exist`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) problems.push(`${id}: two nodes have this id`);
    seen.add(id);
  }
  for (const e of edges(flow)) if (!ids.includes(e.to)) problems.push(`${e.from}: goes to ${e.to}, which does not exist`);
  const { unreachable } = layout(flow);
  for (const id of unreachable) problems.push(`${id}: cannot be reached from the start node`);
  return problems;
}

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

function readAction(v: unknown): ActionSpec | undefined {
  const o = obj(v);
  if (!o || typeof o.type !== 'string') return undefined;
  const params = obj(o.parameters);
  return { type: o.type as ActionType, ...(params && Object.keys(params).length ? { parameters: params } : {}) };
}
function readOption(v: unknown): MenuOption {
  const o = obj(v) ?? {};
  const action = readAction(o.action);
  const next = str(o.nextNodeId);
  return { ...(action ? { action } : {}), ...(next ? { nextNodeId: next } : {}) };
}

/** Reads the API's JSON (a campaign's `settings.ivr`) into the builder's flow; throws on what is not a flow. */
export function fromApi(json: unknown): IvrFlow {
  const o = obj(json);
  if (!o || typeof o.startNodeId !== 'string' || !Array.isArray(o.nodes)) throw new Error('not an IVR flow (startNodeId and nodes expected)');
  const nodes = o.nodes.map((raw, i): IvrNode => {
    const n = obj(raw);
    if (!n || typeof n.id !== 'string') throw new Error(`node ${i + 1} has no id`);
    const next = str(n.nextNodeId);
    const withNext = next ? { nextNodeId: next } : {};
    switch (n.type) {
      case 'play_audio':
        return { id: n.id, type: 'play_audio', audioUrl: str(n.audioUrl) ?? '', ...withNext };
      case 'menu':
        return {
          id: n.id,
          type: 'menu',
          audioUrl: str(n.audioUrl) ?? '',
          options: Object.fromEntries(Object.entries(obj(n.options) ?? {}).map(([k, v]) => [k, readOption(v)])),
          timeout: num(n.timeout) ?? 10,
          maxRetries: num(n.maxRetries) ?? 2,
          invalidAudioUrl: str(n.invalidAudioUrl) ?? DEFAULT_INVALID_AUDIO,
          timeoutAudioUrl: str(n.timeoutAudioUrl) ?? DEFAULT_TIMEOUT_AUDIO,
          ...(n.repeatOnTimeout === true ? { repeatOnTimeout: true } : {}),
          onTimeout: n.onTimeout === undefined ? { action: { type: 'end_call' } } : readOption(n.onTimeout),
        };
      case 'capture_input':
        return {
          id: n.id,
          type: 'capture_input',
          ...(str(n.audioUrl) ? { audioUrl: str(n.audioUrl) } : {}),
          maxDigits: num(n.maxDigits) ?? 1,
          timeout: num(n.timeout) ?? 10,
          ...withNext,
        };
      case 'action':
        return { id: n.id, type: 'action', action: readAction(n.action) ?? { type: 'end_call' }, ...withNext };
      default:
        throw new Error(`node ${n.id}: unknown type ${String(n.type)}`);
    }
  });
  return { startNodeId: o.startNodeId, nodes };
}

/** The flow as the API takes it: empty optional strings dropped. */
export function toApi(flow: IvrFlow): Record<string, unknown> {
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(clean);
    const o = obj(v);
    if (!o) return v;
    return Object.fromEntries(
      Object.entries(o)
        .filter(([k, x]) => x !== undefined && !(x === '' && k !== 'audioUrl'))
        .map(([k, x]) => [k, clean(x)]),
    );
  };
  return clean(flow) as Record<string, unknown>;
}
