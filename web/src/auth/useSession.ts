import { useSyncExternalStore } from 'react';
import { isSignedIn, onSessionChange } from './session';

export function useSignedIn(): boolean {
  return useSyncExternalStore(onSessionChange, isSignedIn);
}
