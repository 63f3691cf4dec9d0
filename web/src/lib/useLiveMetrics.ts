// React side of the live feed: the latest snapshot, the samples for charts, the feed's state
// and a clock ticking each second so "how old is the data" stays true between snapshots.
import { useEffect, useState } from 'react';
import { authedFetch } from '../api/client';
import { startLiveFeed, type FeedState } from './liveFeed';
import { flatten, type AggregateSnapshot, type CampaignSnapshot, type Flat } from './metrics';
import { addSample, type Sample } from './series';

export interface Live<T> {
  latest?: T;
  flat?: Flat;
  samples: Sample[];
  receivedAt?: number;
  state: FeedState;
  now: number;
}

export function useLiveMetrics<T extends CampaignSnapshot | AggregateSnapshot>(streamPath: string, pollPath: string): Live<T> {
  const [latest, setLatest] = useState<{ data: T; at: number } | undefined>();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [state, setState] = useState<FeedState>({ mode: 'connecting' });
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    setLatest(undefined);
    setSamples([]);
    const stop = startLiveFeed<T>({
      streamPath,
      pollPath,
      fetch: authedFetch,
      onData: (data, at) => {
        setLatest({ data, at });
        setSamples((s) => addSample(s, { t: at, f: flatten(data) }));
      },
      onState: setState,
    });
    return stop;
  }, [streamPath, pollPath]);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  return { latest: latest?.data, flat: latest ? flatten(latest.data) : undefined, samples, receivedAt: latest?.at, state, now };
}
