import { describe, expect, it } from 'vitest';
import { ageText, decideAfterStream, startLiveFeed, type FeedState } from './liveFeed';

describe('decideAfterStream', () => {
  it('GIVEN 501 (AWS cannot stream) THEN poll for good, never retry the stream', () => {
    expect(decideAfterStream({ kind: 'status', status: 501 }, 0)).toMatchObject({ next: 'poll', retryStreamAfterMs: null });
  });
  it('GIVEN 401 THEN stop (the session is over)', () => {
    expect(decideAfterStream({ kind: 'status', status: 401 }, 0).next).toBe('stop');
  });
  it('GIVEN a network failure, a 502 or a closed stream THEN poll and retry the stream, backing off to 30 s', () => {
    const d0 = decideAfterStream({ kind: 'network', message: 'reset' }, 0);
    const d1 = decideAfterStream({ kind: 'status', status: 502 }, 1);
    const d9 = decideAfterStream({ kind: 'ended' }, 9);
    expect(d0).toMatchObject({ next: 'poll', retryStreamAfterMs: 2000 });
    expect(d1).toMatchObject({ next: 'poll', retryStreamAfterMs: 4000 });
    expect(d9).toMatchObject({ next: 'poll', retryStreamAfterMs: 30000 });
  });
  it('GIVEN a 200 that is not an event stream THEN poll and retry later', () => {
    expect(decideAfterStream({ kind: 'not_a_stream' }, 0)).toMatchObject({ next: 'poll' });
  });
});

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const waitFor = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('startLiveFeed', () => {
  it('GIVEN the stream answers 501 THEN it polls the metrics route and never asks for the stream again', async () => {
    const calls: string[] = [];
    const data: unknown[] = [];
    const states: FeedState[] = [];
    let n = 0;
    const stop = startLiveFeed<{ n: number }>({
      streamPath: '/s',
      pollPath: '/p',
      pollMs: 5,
      fetch: async (path) => {
        calls.push(path);
        if (path === '/s') return json({ error: { code: 'streaming_unavailable', message: 'no' } }, 501);
        n += 1;
        return json({ n });
      },
      onData: (d) => data.push(d),
      onState: (s) => states.push(s),
    });
    await waitFor(() => data.length >= 3);
    stop();
    expect(calls.filter((c) => c === '/s')).toHaveLength(1);
    expect(data.slice(0, 3)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(states.some((s) => s.mode === 'polling' && s.reason.includes('501'))).toBe(true);
  });

  it('GIVEN a working stream THEN its metrics events are delivered and the metrics route is not polled', async () => {
    const calls: string[] = [];
    const data: unknown[] = [];
    const states: FeedState[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        const enc = new TextEncoder();
        c.enqueue(enc.encode('event: metrics\ndata: {"n":1}\n\n: keep-alive\n\nevent: met'));
        c.enqueue(enc.encode('rics\ndata: {"n":2}\n\n'));
        // left open: a live stream
      },
    });
    const stop = startLiveFeed<{ n: number }>({
      streamPath: '/s',
      pollPath: '/p',
      pollMs: 5,
      fetch: async (path) => {
        calls.push(path);
        return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
      },
      onData: (d) => data.push(d),
      onState: (s) => states.push(s),
    });
    await waitFor(() => data.length >= 2);
    stop();
    expect(data).toEqual([{ n: 1 }, { n: 2 }]);
    expect(calls).toEqual(['/s']);
    expect(states.map((s) => s.mode)).toEqual(['connecting', 'stream']);
  });

  it('GIVEN an error event in the stream THEN the state says so, and the next snapshot clears it', async () => {
    const states: FeedState[] = [];
    const data: unknown[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        const enc = new TextEncoder();
        c.enqueue(enc.encode('event: metrics\ndata: {"n":1}\n\nevent: error\ndata: {"error":{"code":"unavailable","message":"the store timed out"}}\n\nevent: metrics\ndata: {"n":2}\n\n'));
      },
    });
    const stop = startLiveFeed({
      streamPath: '/s',
      pollPath: '/p',
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
      onData: (d) => data.push(d),
      onState: (s) => states.push(s),
    });
    await waitFor(() => data.length >= 2);
    stop();
    expect(states).toEqual([{ mode: 'connecting' }, { mode: 'stream' }, { mode: 'stream', error: 'the store timed out' }, { mode: 'stream' }]);
  });

  it('GIVEN polling answers an error THEN the state carries the API message', async () => {
    const states: FeedState[] = [];
    const stop = startLiveFeed({
      streamPath: '/s',
      pollPath: '/p',
      pollMs: 5,
      fetch: async (path) => (path === '/s' ? json({}, 501) : json({ error: { code: 'not_found', message: 'campaign not found' } }, 404)),
      onData: () => {},
      onState: (s) => states.push(s),
    });
    await waitFor(() => states.some((s) => s.mode === 'polling' && s.error === 'campaign not found'));
    stop();
  });
});

describe('ageText', () => {
  it('GIVEN times THEN words', () => {
    expect(ageText(undefined, 0)).toBe('no data yet');
    expect(ageText(1000, 2500)).toBe('1 s old');
    expect(ageText(0, 125_000)).toBe('2 min 5 s old');
  });
});
