import { describe, expect, it } from 'vitest';
import type { CampaignStatus } from '../api/client';
import { allowedMoves, canEditField, expectedImpact, isFinished, nextStatus } from './lifecycle';

const ALL: CampaignStatus[] = ['draft', 'scheduled', 'active', 'paused', 'completed', 'cancelled', 'failed', 'archived'];

describe('lifecycle moves (mirror of core campaign::transition)', () => {
  it('offers exactly the moves the core allows from each status', () => {
    const table = Object.fromEntries(ALL.map((s) => [s, allowedMoves(s)]));
    expect(table).toEqual({
      draft: ['schedule', 'start', 'cancel'],
      scheduled: ['start', 'cancel'],
      active: ['pause', 'cancel'],
      paused: ['resume', 'cancel'],
      completed: ['archive'],
      cancelled: ['archive'],
      failed: ['archive'],
      archived: [],
    });
  });

  it('leads where the core leads', () => {
    expect(nextStatus('draft', 'schedule')).toBe('scheduled');
    expect(nextStatus('scheduled', 'start')).toBe('active');
    expect(nextStatus('active', 'pause')).toBe('paused');
    expect(nextStatus('paused', 'resume')).toBe('active');
    expect(nextStatus('paused', 'cancel')).toBe('cancelled');
    expect(nextStatus('failed', 'archive')).toBe('archived');
    expect(nextStatus('active', 'resume')).toBeNull();
    expect(nextStatus('archived', 'archive')).toBeNull();
  });

  it('calls completed, cancelled, failed and archived finished', () => {
    expect(ALL.filter(isFinished)).toEqual(['completed', 'cancelled', 'failed', 'archived']);
  });
});

describe('editing rules (mirror of core campaign_edit)', () => {
  it('locks audio, ivr and carrier while running, everything when finished', () => {
    expect(canEditField('draft', 'audio')).toBe(true);
    expect(canEditField('scheduled', 'ivr')).toBe(true);
    expect(canEditField('active', 'audio')).toBe(false);
    expect(canEditField('paused', 'carrier')).toBe(false);
    expect(canEditField('active', 'pace')).toBe(true);
    expect(canEditField('completed', 'name')).toBe(false);
  });

  it('words the expected impact like the core', () => {
    expect(expectedImpact('active', 'pace')).toBe('pace: from the next dispatch; calls in progress keep their slots');
    expect(expectedImpact('paused', 'name')).toBe('name: now');
    expect(expectedImpact('draft', 'pace')).toBe('pace: when the campaign starts');
  });
});
