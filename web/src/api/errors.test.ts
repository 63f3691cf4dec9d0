import { describe, expect, it } from 'vitest';
import { ApiError, describeError, errorFor, fieldProblems } from './errors';

describe('ApiError.fromBody', () => {
  it('keeps the code, message and details of the API error shape', () => {
    // GIVEN the body of a 409 locked-field answer
    const body = { error: { code: 'field_locked', message: 'audio is locked', details: { status: 'active', fields: ['audio'] } } };
    // WHEN it is turned into an error
    const e = ApiError.fromBody(409, body);
    // THEN nothing is lost
    expect(e.status).toBe(409);
    expect(e.code).toBe('field_locked');
    expect(e.message).toBe('audio is locked');
    expect(e.details).toEqual({ status: 'active', fields: ['audio'] });
  });

  it('gives words for a body that is not the API shape (a proxy error page)', () => {
    const e = ApiError.fromBody(502, '<html>Bad gateway</html>', 'Bad Gateway');
    expect(e.code).toBe('http_502');
    expect(e.message).toContain('Bad gateway');
  });
});

describe('describeError', () => {
  it('names every field of a 422 validation_failed', () => {
    const e = ApiError.fromBody(422, {
      error: {
        code: 'validation_failed',
        message: 'pace: calls_per_second must be at least 1; name: must not be empty',
        details: {
          fields: [
            { field: 'pace', message: 'calls_per_second must be at least 1' },
            { field: 'name', message: 'must not be empty' },
          ],
        },
      },
    });
    const text = describeError(e);
    expect(text).toMatch(/^Some values are not valid: /);
    expect(text).toContain('pace: calls_per_second must be at least 1');
    expect(text).toContain('name: must not be empty');
  });

  it('names the CSV row of an import failure', () => {
    const e = ApiError.fromBody(422, { error: { code: 'import_failed', message: 'unclosed quote', details: { line: 17 } } });
    expect(describeError(e)).toBe('Some values are not valid: unclosed quote (CSV row 17)');
  });

  it('lists the columns found when no phone column was', () => {
    const e = ApiError.fromBody(422, { error: { code: 'import_failed', message: 'no phone column', details: { headers: ['name', 'city'] } } });
    expect(describeError(e)).toContain('(columns found: name, city)');
  });

  it('says which lifecycle move was refused and from which status', () => {
    const e = ApiError.fromBody(409, {
      error: { code: 'illegal_lifecycle_move', message: 'cannot pause a campaign that is draft', details: { from: 'draft', action: 'pause' } },
    });
    expect(describeError(e)).toBe('Conflict: cannot pause a campaign that is draft');
  });

  it('says which fields are locked and what to do', () => {
    const e = ApiError.fromBody(409, {
      error: { code: 'field_locked', message: 'cannot change audio, ivr of an active campaign', details: { status: 'active', fields: ['audio', 'ivr'] } },
    });
    const text = describeError(e);
    expect(text).toContain('locked while active: audio, ivr');
    expect(text).toContain('pause and clone');
  });

  it('uses the message of a plain Error and stringifies anything else', () => {
    expect(describeError(new Error('network down'))).toBe('network down');
    expect(describeError('odd')).toBe('odd');
  });
});

describe('errorFor / fieldProblems', () => {
  const e = ApiError.fromBody(422, {
    error: {
      code: 'validation_failed',
      message: 'x',
      details: {
        fields: [
          { field: 'schedule.windows[0]', message: 'start must be before end' },
          { field: 'schedule', message: 'unknown time zone' },
          { field: 'sms_template', message: 'unclosed {{' },
          { field: null, message: 'general problem' },
        ],
      },
    },
  });

  it('collects the problems under a field path', () => {
    expect(errorFor(e, 'schedule')).toBe('start must be before end; unknown time zone');
    expect(errorFor(e, 'sms_template')).toBe('unclosed {{');
    expect(errorFor(e, 'sms')).toBeUndefined();
  });

  it('keeps problems that name no field', () => {
    expect(fieldProblems(e).filter((p) => p.field === null)).toEqual([{ field: null, message: 'general problem' }]);
  });

  it('reads a decode error under settings.… as the setting it names (a 24:00 window end lands on the schedule)', () => {
    // GIVEN the 422 the real API sends for a window ending at "24:00" (decode error, path from the body root)
    const decode = ApiError.fromBody(422, {
      error: {
        code: 'validation_failed',
        message: 'settings.schedule.windows[0].end: invalid time "24:00"',
        details: { fields: [{ field: 'settings.schedule.windows[0].end', message: 'invalid time "24:00": expected HH:MM or HH:MM:SS' }] },
      },
    });
    // THEN the Schedule step's windows field shows it
    expect(errorFor(decode, 'schedule')).toBe('invalid time "24:00": expected HH:MM or HH:MM:SS');
    expect(fieldProblems(decode)[0]!.field).toBe('schedule.windows[0].end');
  });

  it('is empty for errors that are not validation errors', () => {
    expect(fieldProblems(new Error('x'))).toEqual([]);
    expect(errorFor(ApiError.fromBody(404, { error: { code: 'not_found', message: 'no' } }), 'name')).toBeUndefined();
  });
});
