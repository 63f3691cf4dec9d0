// App-wide flash messages (shown at the top of every page), e.g. "Campaign created".
import { useSyncExternalStore } from 'react';
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';

type Item = FlashbarProps.MessageDefinition & { id: string };
let items: Item[] = [];
let seq = 0;
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

export function flash(type: 'success' | 'error' | 'info' | 'warning', content: React.ReactNode, header?: string): void {
  const id = `f${++seq}`;
  const dismiss = () => {
    items = items.filter((i) => i.id !== id);
    emit();
  };
  items = [...items, { id, type, content, header, dismissible: true, onDismiss: dismiss, dismissLabel: 'Dismiss' }];
  emit();
  if (type === 'success' || type === 'info') setTimeout(dismiss, 8000);
}

export function useFlash(): { items: Item[] } {
  const snapshot = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => items,
  );
  return { items: snapshot };
}
