import { describe, expect, it } from 'vitest';
import { checkAudioFile, checkContactFile, MAX_AUDIO_BYTES, shouldPoll, uploadReducer, type ImportRecordLike, type UploadEvent, type UploadState } from './upload';

const run = (events: UploadEvent[], from: UploadState = { step: 'idle' }) => events.reduce(uploadReducer, from);
const csv = { name: 'contacts.csv', size: 1000, type: 'text/csv' };
const pick: UploadEvent = { type: 'pick', file: csv, check: checkContactFile(csv) };
const rec = (status: ImportRecordLike['status'], extra: Partial<ImportRecordLike> = {}): ImportRecordLike => ({ import_id: 'imp1', status, ...extra });

describe('uploadReducer', () => {
  it('GIVEN a CSV picked, linked, uploaded and polled to completion THEN it ends completed with the record', () => {
    const s = run([pick, { type: 'linked', importId: 'imp1' }, { type: 'progress', loaded: 500, total: 1000 }]);
    expect(s).toEqual({ step: 'uploading', file: 'contacts.csv', importId: 'imp1', loaded: 500, total: 1000 });
    const s2 = run([{ type: 'uploaded' }, { type: 'polled', record: rec('importing') }], s);
    expect(s2.step).toBe('importing');
    expect(shouldPoll(s2)).toBe(true);
    const done = run([{ type: 'polled', record: rec('completed') }], s2);
    expect(done).toEqual({ step: 'completed', file: 'contacts.csv', record: rec('completed') });
    expect(shouldPoll(done)).toBe(false);
  });

  it('GIVEN the import fails THEN the failure code is put in words with the API message', () => {
    const s = run([pick, { type: 'linked', importId: 'imp1' }, { type: 'uploaded' }, { type: 'polled', record: rec('failed', { failure: { code: 'unreadable_file', message: 'no phone column' } }) }]);
    expect(s.step).toBe('failed');
    if (s.step !== 'failed') return;
    expect(s.code).toBe('unreadable_file');
    expect(s.message).toMatch(/could not be read.*no phone column/);
  });

  it('GIVEN a poll answer for another import THEN it is ignored', () => {
    const s = run([pick, { type: 'linked', importId: 'imp1' }, { type: 'uploaded' }, { type: 'polled', record: { import_id: 'old', status: 'completed' } }]);
    expect(s.step).toBe('importing');
  });

  it('GIVEN an upload in flight THEN a second pick is ignored, and an error fails it', () => {
    const s = run([pick, { type: 'linked', importId: 'imp1' }, pick]);
    expect(s.step).toBe('uploading');
    expect(run([{ type: 'error', message: 'the upload failed (network error)' }], s)).toMatchObject({ step: 'failed', message: 'the upload failed (network error)' });
  });

  it('GIVEN a wrong file THEN rejected with the reason, and a good file afterwards starts again', () => {
    const pdf = { name: 'list.pdf', size: 10, type: 'application/pdf' };
    const s = run([{ type: 'pick', file: pdf, check: checkContactFile(pdf) }]);
    expect(s).toEqual({ step: 'rejected', problem: 'list.pdf: not a CSV or XLSX file (.csv or .xlsx expected)' });
    expect(run([pick], s).step).toBe('linking');
  });

  it('GIVEN events that do not fit the step THEN the state does not change', () => {
    expect(run([{ type: 'uploaded' }, { type: 'progress', loaded: 1, total: 2 }, { type: 'error', message: 'x' }])).toEqual({ step: 'idle' });
  });
});

describe('file checks', () => {
  it('GIVEN contact files THEN CSV and XLSX by extension are accepted, empty ones are not', () => {
    expect(checkContactFile({ name: 'a.CSV', size: 1, type: 'application/vnd.ms-excel' })).toEqual({ ok: true, contentType: 'text/csv' });
    expect(checkContactFile({ name: 'a.xlsx', size: 1, type: '' })).toMatchObject({ ok: true });
    expect(checkContactFile({ name: 'a.csv', size: 0, type: 'text/csv' })).toMatchObject({ ok: false });
  });
  it('GIVEN audio files THEN MP3/WAV up to 10 MB pass; larger or other types are refused before upload', () => {
    expect(checkAudioFile({ name: 'm.mp3', size: 5, type: 'audio/mpeg' })).toEqual({ ok: true, contentType: 'audio/mpeg' });
    expect(checkAudioFile({ name: 'm.wav', size: MAX_AUDIO_BYTES, type: 'audio/x-wav' })).toEqual({ ok: true, contentType: 'audio/wav' });
    expect(checkAudioFile({ name: 'm.wav', size: MAX_AUDIO_BYTES + 1, type: 'audio/wav' })).toMatchObject({ ok: false, problem: expect.stringMatching(/at most 10 MB/) });
    expect(checkAudioFile({ name: 'm.ogg', size: 5, type: 'audio/ogg' })).toMatchObject({ ok: false, problem: expect.stringMatching(/only MP3 or WAV/) });
  });
});
