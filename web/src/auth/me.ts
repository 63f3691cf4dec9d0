import { useQuery } from '@tanstack/react-query';
import { api, must } from '../api/client';
import type { Role } from './session';

/** GET /api/me: who is signed in and what the console should offer them (the API still decides). */
export interface Me {
  subject: string;
  role: Role;
  can: { manage_campaigns: boolean; administer_blacklist: boolean };
}

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async (): Promise<Me> => must(api.GET('/api/me')),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** Whether the signed-in user may manage campaigns (false until /api/me answers). */
export function useCanManage(): boolean {
  return useMe().data?.can.manage_campaigns ?? false;
}
