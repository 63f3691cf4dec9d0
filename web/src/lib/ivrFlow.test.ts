import { describe, expect, it } from 'vitest';
import {
  addNode,
  edges,
  fromApi,
  layout,
  localProblems,
  removeNode,
  renameNode,
  removeOption,
  setOption,
  standardFlow,
  toApi,
  type IvrFlow,
} from './ivrFlow';

// The README's standard flow, as the API stores it.
const README_STANDARD = {
  startNodeId: 'message',
  nodes: [
    { id: 'message', type: 'play_audio', audioUrl: 'recording:campaign-42', nextNodeId: 'menu' },
    {
      id: 'menu',
      type: 'menu',
      audioUrl: 'sound:press-1-to-donate-9-to-opt-out',
      options: { '1': { action: { type: 'trigger_donation' }, nextNodeId: 'thanks' }, '9': { action: { type: 'add_to_blacklist' } } },
      timeout: 10,
      maxRetries: 2,
      invalidAudioUrl: 'sound:option-is-invalid',
      timeoutAudioUrl: 'sound:vm-goodbye',
      onTimeout: { action: { type: 'end_call' } },
    },
    { id: 'thanks', type: 'play_audio', audioUrl: 'sound:auth-thankyou' },
  ],
};

describe('the standard flow', () => {
  it('is the core\'s standard flow, key for key', () => {
    expect(toApi(standardFlow('recording:campaign-42'))).toEqual(README_STANDARD);
  });
  it('round-trips through the API JSON', () => {
    expect(toApi(fromApi(README_STANDARD))).toEqual(README_STANDARD);
  });
});

describe('editing a flow', () => {
  const flow: IvrFlow = standardFlow('sound:hello');

  it('adds a node with a fresh id; the first node of an empty flow is the start', () => {
    const f = addNode(flow, 'menu');
    expect(f.nodes.map((n) => n.id)).toEqual(['message', 'menu', 'thanks', 'menu_2']);
    expect(addNode({ startNodeId: '', nodes: [] }, 'play_audio').startNodeId).toBe('play');
    expect(() => addNode(flow, 'menu', 'thanks')).toThrow(/exists already/);
  });

  it('renames a node and every reference to it, the start included', () => {
    let f = renameNode(flow, 'menu', 'main_menu');
    expect(edges(f)).toEqual([
      { from: 'message', to: 'main_menu', label: '' },
      { from: 'main_menu', to: 'thanks', label: '1 trigger_donation' },
    ]);
    f = renameNode(f, 'message', 'intro');
    expect(f.startNodeId).toBe('intro');
    expect(() => renameNode(f, 'intro', 'thanks')).toThrow(/exists already/);
    expect(() => renameNode(f, 'intro', '  ')).toThrow(/needs a name/);
  });

  it('removes a node and the arrows into it (those paths end the call)', () => {
    const f = removeNode(flow, 'thanks');
    expect(f.nodes.map((n) => n.id)).toEqual(['message', 'menu']);
    const menu = f.nodes[1]!;
    expect(menu.type === 'menu' && menu.options['1']).toEqual({ action: { type: 'trigger_donation' } });
    expect(removeNode(flow, 'message').startNodeId).toBe('menu');
  });

  it('maps keys to actions or next nodes, refusing what a phone cannot send', () => {
    let f = addNode(flow, 'play_audio', 'agent_msg');
    f = setOption(f, 'menu', '0', { action: { type: 'transfer_agent' } });
    f = setOption(f, 'menu', '#', { nextNodeId: 'agent_msg' });
    expect(edges(f).filter((e) => e.from === 'menu').map((e) => e.label)).toEqual(['1 trigger_donation', '#']);
    expect(() => setOption(f, 'menu', 'A', {})).toThrow(/not a phone key/);
    f = removeOption(f, 'menu', '9');
    const menu = f.nodes.find((n) => n.id === 'menu')!;
    expect(menu.type === 'menu' && Object.keys(menu.options).sort()).toEqual(['#', '0', '1']);
  });

  it('draws the timeout branch when it goes to a node', () => {
    let f = addNode(flow, 'play_audio', 'bye');
    const menu = f.nodes.find((n) => n.id === 'menu')!;
    if (menu.type !== 'menu') throw new Error('menu expected');
    f = { ...f, nodes: f.nodes.map((n) => (n.id === 'menu' ? { ...menu, onTimeout: { nextNodeId: 'bye' } } : n)) };
    expect(edges(f)).toContainEqual({ from: 'menu', to: 'bye', label: 'timeout' });
  });
});

describe('layout and local problems', () => {
  it('lays nodes out by depth from the start, unreachable ones last', () => {
    const f = addNode(standardFlow('sound:x'), 'action', 'orphan');
    const { positions, unreachable } = layout(f);
    expect(positions).toEqual({
      message: { depth: 0, row: 0 },
      menu: { depth: 1, row: 0 },
      thanks: { depth: 2, row: 0 },
      orphan: { depth: 3, row: 0 },
    });
    expect(unreachable).toEqual(['orphan']);
    expect(localProblems(f)).toEqual(['orphan: cannot be reached from the start node']);
  });

  it('names a missing start node and a dangling next node', () => {
    const f: IvrFlow = { startNodeId: 'nope', nodes: [{ id: 'a', type: 'play_audio', audioUrl: 'x', nextNodeId: 'gone' }] };
    expect(localProblems(f)).toEqual([
      'flow: start node nope does not exist',
      'a: goes to gone, which does not exist',
      'a: cannot be reached from the start node',
    ]);
  });

  it('refuses JSON that is not a flow', () => {
    expect(() => fromApi({ nodes: [] })).toThrow(/not an IVR flow/);
    expect(() => fromApi({ startNodeId: 'a', nodes: [{ id: 'a', type: 'dance' }] })).toThrow(/unknown type dance/);
  });
});
