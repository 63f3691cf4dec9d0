// Server-Sent Events parsing for a stream read with fetch (EventSource cannot send the
// Authorization header). Chunks may split anywhere: inside a field, between "\r" and "\n",
// inside a multi-byte UTF-8 character (the byte reader below decodes with stream: true).

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Incremental parser following the WHATWG event-stream rules (the parts a metrics feed needs). */
export class SseParser {
  private buffer = '';
  /** A chunk ended in "\r": a "\n" at the start of the next one belongs to the same line end. */
  private pendingCr = false;
  private eventName = '';
  private dataLines: string[] = [];
  private lastId: string | undefined;

  /** Feeds decoded text; returns the events completed by it, in order. */
  push(text: string): SseEvent[] {
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone "\r" at the very end may be the first half of "\r\n": decide on the next chunk.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) {
        const line = this.buffer.slice(0, m.index);
        this.buffer = '';
        this.pendingCr = true;
        this.line(line, out);
        break;
      }
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.dataLines.length > 0) {
        out.push({ event: this.eventName || 'message', data: this.dataLines.join('\n'), id: this.lastId });
      }
      this.eventName = '';
      this.dataLines = [];
      return;
    }
    if (line.startsWith(':')) return; // comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.dataLines.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // "retry" and unknown fields are ignored: the console decides its own reconnect timing.
  }
}

/**
 * Reads a response body as SSE, calling onEvent for each event until the stream ends or the
 * signal aborts. Resolves when the server closes the stream.
 */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => void, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  const abort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', abort);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const e of parser.push(decoder.decode(value, { stream: true }))) onEvent(e);
    }
    for (const e of parser.push(decoder.decode())) onEvent(e);
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
