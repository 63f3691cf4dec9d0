import { describe, expect, it } from 'vitest';
import type { Campaign } from '../api/client';
import { createBody, draftFromCampaign, newDraft, patchBody, patchFields, stepOfField } from './campaignForm';

const stored: Campaign = {
  id: 'cmp-000001',
  name: 'Spring appeal',
  kind: 'voice',
  status: 'active',
  version: 4,
  settings: {
    audio: 'sound:spring-appeal',
    ivr: null,
    sms_template: 'Thanks {{first_name}}!',
    tts_template: null,
    schedule: {
      timezone: 'Asia/Jerusalem',
      windows: [{ days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], start: '09:00:00', end: '20:00:00' }],
      start: null,
      end: null,
    },
    pace: { calls_per_second: 5, max_concurrent: 20 },
    retry: { max_attempts: 3, retry_on: ['no_answer', 'busy'], rules: [], default_interval_minutes: 60 },
    carrier: 'asterisk',
    caller_id: null,
    ring_timeout_secs: 30,
  },
};

describe('the campaign form', () => {
  it('patches nothing but the version when nothing changed (served forms included)', () => {
    const d = draftFromCampaign(stored);
    expect(patchBody(stored, d, [])).toEqual({ version: 4 });
  });

  it('patches only what changed', () => {
    const d = { ...draftFromCampaign(stored), cps: '8', sms: 'שלום {{first_name}}' };
    const p = patchBody(stored, d, []);
    expect(p).toEqual({
      version: 4,
      pace: { calls_per_second: 8, max_concurrent: 20 },
      sms_template: 'שלום {{first_name}}',
    });
    expect(patchFields(p).sort()).toEqual(['pace', 'sms_template']);
  });

  it('builds a create body with windows from the grid and the start in the campaign zone', () => {
    const d = { ...newDraft(), name: '  Autumn  ', audio: 'sound:a', startDate: '2026-06-01', startTime: '09:00' };
    const body = createBody(d, []);
    expect(body.name).toBe('Autumn');
    expect(body.settings.schedule).toEqual({
      timezone: 'Asia/Jerusalem',
      windows: [{ days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], start: '09:00', end: '20:00' }],
      start: '2026-06-01T06:00:00.000Z',
      end: null,
    });
    expect(body.settings.ivr).toBeNull();
  });

  it('leaves audio, flow and TTS out of an SMS campaign', () => {
    const body = createBody({ ...newDraft(), kind: 'sms', audio: 'sound:a', tts: 'x', sms: 'hi' }, []);
    expect(body.settings).toMatchObject({ audio: null, ivr: null, tts_template: null, sms_template: 'hi' });
  });

  it('sends the custom flow when one is chosen', () => {
    const d = { ...newDraft(), audio: 'sound:a', ivrMode: 'custom' as const };
    expect(createBody(d, []).settings.ivr).toMatchObject({ startNodeId: 'message' });
  });

  it('maps API field paths to the wizard step that holds them', () => {
    expect(stepOfField('name')).toBe(0);
    expect(stepOfField('ivr')).toBe(1);
    expect(stepOfField('sms_template')).toBe(2);
    expect(stepOfField('schedule.windows[0]')).toBe(3);
    expect(stepOfField('retry')).toBe(4);
    expect(stepOfField(null)).toBe(5);
  });
});
