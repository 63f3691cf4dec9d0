import { describe, expect, it } from 'vitest';
import { readSse, SseParser, type SseEvent } from './sse';

const STREAM =
  ': keep-alive\n\n' +
  'event: metrics\ndata: {"campaign_id":"c1","name":"חנוכה","live":{"active_calls":3}}\n\n' +
  ': keep-alive\r\n\r\n' +
  'event: metrics\r\ndata: {"a":1,\r\ndata: "b":2}\r\n\r\n' +
  'data:plain\rid: 7\r\r';

function feedAll(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
}

const EXPECTED: SseEvent[] = [
  { event: 'metrics', data: '{"campaign_id":"c1","name":"חנוכה","live":{"active_calls":3}}', id: undefined },
  { event: 'metrics', data: '{"a":1,\n"b":2}', id: undefined },
  { event: 'message', data: 'plain', id: '7' },
];

describe('SseParser', () => {
  it('GIVEN the whole stream in one chunk THEN it yields the events and skips keep-alive comments', () => {
    expect(feedAll([STREAM])).toEqual(EXPECTED);
  });

  it('GIVEN the stream split at every possible single point THEN the events are the same', () => {
    for (let i = 1; i < STREAM.length; i += 1) {
      expect(feedAll([STREAM.slice(0, i), STREAM.slice(i)]), `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it('GIVEN the stream one character at a time THEN the events are the same', () => {
    expect(feedAll([...STREAM])).toEqual(EXPECTED);
  });

  it('GIVEN "\\r" ending one chunk and "\\n" starting the next THEN it is one line end, not an empty line', () => {
    const p = new SseParser();
    expect(p.push('data: x\r')).toEqual([]);
    // Were the "\n" taken as a second line end, the event would be dispatched here.
    expect(p.push('\ndata: y\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'message', data: 'x\ny', id: undefined }]);
  });

  it('GIVEN an event without its closing blank line THEN nothing is dispatched yet', () => {
    expect(feedAll(['event: metrics\ndata: {}\n'])).toEqual([]);
  });
});

describe('readSse', () => {
  it('GIVEN bytes split inside a multi-byte Hebrew character THEN the text arrives intact', async () => {
    const bytes = new TextEncoder().encode(STREAM);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 5) chunks.push(bytes.slice(i, i + 5));
    const body = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (const c of chunks) ctrl.enqueue(c);
        ctrl.close();
      },
    });
    const got: SseEvent[] = [];
    await readSse(body, (e) => got.push(e));
    expect(got).toEqual(EXPECTED);
  });
});
