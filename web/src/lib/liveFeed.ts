// The dashboard's live feed: the SSE stream route read with fetch (Authorization header), and
// polling the plain metrics route every second when the stream is unavailable (501 on AWS) or
// breaks. Either way the data is at most ~2 s old.
import { readSse } from './sse';

/** How a stream attempt ended. */
export type StreamOutcome =
  | { kind: 'status'; status: number } // the stream route answered non-2xx
  | { kind: 'network'; message: string } // fetch threw, or the body broke
  | { kind: 'not_a_stream' } // 2xx but not text/event-stream (e.g. an SPA fallback page)
  | { kind: 'ended' }; // the server closed a working stream

export type Decision =
  | { next: 'poll'; retryStreamAfterMs: number | null; reason: string }
  | { next: 'stop'; reason: string };

const MAX_RETRY_MS = 30_000;

/**
 * What to do after a stream attempt: 501 means the deployment cannot stream (API Gateway +
 * Lambda), so poll for good; 401 means the session is over (polling would fail the same);
 * anything else is transient: poll meanwhile and try the stream again, backing off.
 * `failures` counts the stream attempts that failed in a row before this one.
 */
export function decideAfterStream(outcome: StreamOutcome, failures: number): Decision {
  if (outcome.kind === 'status' && outcome.status === 501) {
    return { next: 'poll', retryStreamAfterMs: null, reason: 'streaming is not available here (501)' };
  }
  if (outcome.kind === 'status' && outcome.status === 401) {
    return { next: 'stop', reason: 'signed out' };
  }
  const backoff = Math.min(MAX_RETRY_MS, 2000 * 2 ** Math.min(failures, 4));
  const reason =
    outcome.kind === 'status'
      ? `the stream answered HTTP ${outcome.status}`
      : outcome.kind === 'network'
        ? `the stream failed (${outcome.message})`
        : outcome.kind === 'not_a_stream'
          ? 'the stream route did not answer an event stream'
          : 'the stream closed';
  return { next: 'poll', retryStreamAfterMs: backoff, reason };
}

export type FeedState =
  | { mode: 'connecting' }
  | { mode: 'stream'; error?: string }
  | { mode: 'polling'; reason: string; error?: string }
  | { mode: 'stopped'; reason: string };

export interface FeedOptions<T> {
  streamPath: string;
  pollPath: string;
  /** fetch with the Authorization header (authedFetch in the app; a fake in tests). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  onData: (data: T, receivedAt: number) => void;
  onState: (s: FeedState) => void;
  pollMs?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((ok) => {
    if (signal.aborted) return ok();
    const t = setTimeout(ok, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), ok()), { once: true });
  });
}

/** Starts the feed; returns a function that stops it. */
export function startLiveFeed<T>(opts: FeedOptions<T>): () => void {
  const ctrl = new AbortController();
  const { signal } = ctrl;
  const pollMs = opts.pollMs ?? 1000;

  async function streamOnce(onFirst: () => void): Promise<StreamOutcome> {
    let res: Response;
    try {
      res = await opts.fetch(opts.streamPath, { headers: { Accept: 'text/event-stream' }, signal });
    } catch (e) {
      return { kind: 'network', message: e instanceof Error ? e.message : String(e) };
    }
    if (!res.ok) {
      void res.body?.cancel().catch(() => {});
      return { kind: 'status', status: res.status };
    }
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream') || !res.body) {
      void res.body?.cancel().catch(() => {});
      return { kind: 'not_a_stream' };
    }
    let first = true;
    let lastWasError = false;
    try {
      await readSse(
        res.body,
        (e) => {
          if (e.event === 'error') {
            // The server could not take this snapshot; the stream goes on, so say so and keep reading.
            let message = e.data;
            try {
              message = (JSON.parse(e.data) as { error?: { message?: string } }).error?.message ?? e.data;
            } catch {
              /* plain text */
            }
            opts.onState({ mode: 'stream', error: message });
            lastWasError = true;
            return;
          }
          if (e.event !== 'metrics') return;
          let data: T;
          try {
            data = JSON.parse(e.data) as T;
          } catch {
            return; // a garbled event is skipped; the next one comes within a second
          }
          if (first) {
            first = false;
            onFirst();
          } else if (lastWasError) opts.onState({ mode: 'stream' });
          lastWasError = false;
          opts.onData(data, Date.now());
        },
        signal,
      );
    } catch (e) {
      return { kind: 'network', message: e instanceof Error ? e.message : String(e) };
    }
    return { kind: 'ended' };
  }

  async function pollOnce(reason: string): Promise<void> {
    try {
      const res = await opts.fetch(opts.pollPath, { signal });
      const text = await res.text();
      if (signal.aborted) return;
      if (!res.ok) {
        let message = `HTTP ${res.status}`;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          /* not JSON */
        }
        opts.onState({ mode: 'polling', reason, error: message });
        return;
      }
      opts.onData(JSON.parse(text) as T, Date.now());
      opts.onState({ mode: 'polling', reason });
    } catch (e) {
      if (!signal.aborted) opts.onState({ mode: 'polling', reason, error: e instanceof Error ? e.message : String(e) });
    }
  }

  void (async () => {
    let failures = 0;
    while (!signal.aborted) {
      opts.onState({ mode: 'connecting' });
      const outcome = await streamOnce(() => {
        failures = 0;
        opts.onState({ mode: 'stream' });
      });
      if (signal.aborted) return;
      const d = decideAfterStream(outcome, failures);
      failures += 1;
      if (d.next === 'stop') {
        opts.onState({ mode: 'stopped', reason: d.reason });
        return;
      }
      opts.onState({ mode: 'polling', reason: d.reason });
      const until = d.retryStreamAfterMs === null ? Infinity : Date.now() + d.retryStreamAfterMs;
      while (!signal.aborted && Date.now() < until) {
        const started = Date.now();
        await pollOnce(d.reason);
        await sleep(Math.max(0, pollMs - (Date.now() - started)), signal);
      }
    }
  })();

  return () => ctrl.abort();
}

/** "3 s ago" for the age of the data. */
export function ageText(receivedAt: number | undefined, now: number): string {
  if (receivedAt === undefined) return 'no data yet';
  const s = Math.max(0, Math.floor((now - receivedAt) / 1000));
  if (s < 60) return `${s} s old`;
  return `${Math.floor(s / 60)} min ${s % 60} s old`;
}
