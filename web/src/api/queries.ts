// Shared queries (keys and fetchers), so pages agree on what is cached.
import { useQuery } from '@tanstack/react-query';
import { api, must, type Campaign, type CampaignStatus } from './client';

export const keys = {
  campaigns: (status?: CampaignStatus) => ['campaigns', status ?? 'all'] as const,
  campaign: (id: string) => ['campaign', id] as const,
  metrics: (id: string) => ['metrics', id] as const,
  audio: ['audio'] as const,
};

/** Every campaign (following next_cursor), optionally one status only. */
export async function listAllCampaigns(status?: CampaignStatus): Promise<Campaign[]> {
  const out: Campaign[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const res = await must(
      api.GET('/api/campaigns', { params: { query: { limit: 500, sort: '-created_at', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } } }),
    );
    out.push(...res.items);
    if (!res.next_cursor) break;
    cursor = res.next_cursor;
  }
  return out;
}

export function useCampaign(id: string) {
  return useQuery({
    queryKey: keys.campaign(id),
    queryFn: () => must(api.GET('/api/campaigns/{id}', { params: { path: { id } } })),
  });
}

export function useAudioLibrary(enabled = true) {
  return useQuery({
    queryKey: keys.audio,
    queryFn: () => must(api.GET('/api/audio')),
    enabled,
  });
}
