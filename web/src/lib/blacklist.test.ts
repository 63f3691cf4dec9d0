import { describe, expect, it } from 'vitest';
import { historyRow, sourceText } from './blacklist';

describe('do-not-call history rows', () => {
  it('GIVEN an "added" change as the API sends it WHEN shown THEN when, what, from where and why are filled', () => {
    const row = historyRow({ change: 'added', entry: { phone: '+972525712318', added_at: '2026-12-07T17:37:48Z', reason: 'asked not to be called', source: 'admin_import' } });
    expect(row.what).toBe('added');
    expect(row.when).toBe(new Date('2026-12-07T17:37:48Z').toLocaleString());
    expect(row.by).toBe('added by staff');
    expect(row.reason).toBe('asked not to be called');
  });

  it('GIVEN a "removed" change WHEN shown THEN it says removed, when and by whom', () => {
    const row = historyRow({ change: 'removed', phone: '+972525712318', at: '2026-12-07T18:00:00Z', by: 'dev-administrator' });
    expect(row).toEqual({ when: new Date('2026-12-07T18:00:00Z').toLocaleString(), what: 'removed', by: 'dev-administrator', reason: '' });
  });

  it('names each source in words and keeps an unknown one as sent', () => {
    expect(sourceText('user_optout')).toBe('the person opted out');
    expect(sourceText('compliance')).toBe('a compliance list');
    expect(sourceText('carrier_feed')).toBe('carrier_feed');
  });
});
