// An API error as the API sent it: `{"error": {"code", "message", "details"}}` plus the HTTP status.
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Builds the error from a response body; a body that is not the API's error shape still gives words. */
  static fromBody(status: number, body: unknown, statusText = ''): ApiError {
    const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (inner && typeof inner.code === 'string') {
      const message = typeof inner.message === 'string' ? inner.message : inner.code;
      return new ApiError(status, inner.code, message, inner.details ?? undefined);
    }
    const text = typeof body === 'string' && body.trim() !== '' ? body.trim() : statusText || `HTTP ${status}`;
    return new ApiError(status, `http_${status}`, text);
  }
}

export interface FieldProblem {
  field: string | null;
  message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `{field, message}` problems of a 422 `validation_failed` (details.fields), if any. */
export function fieldProblems(err: unknown): FieldProblem[] {
  if (!(err instanceof ApiError) || !isRecord(err.details)) return [];
  const fields = err.details.fields;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((f): FieldProblem[] => {
    if (isRecord(f) && typeof f.message === 'string') {
      // A body the API cannot decode names the path from the body's root (`settings.schedule.windows[0].end`);
      // its semantic checks name the settings' own fields (`schedule`). The form's fields are the latter.
      const field = typeof f.field === 'string' ? f.field.replace(/^settings\./, '') : null;
      return [{ field, message: f.message }];
    }
    return [];
  });
}

/**
 * The problems that name `field` or a path under it (`schedule` matches `schedule.windows[0]`),
 * joined as one line for a form field's errorText; undefined when none.
 */
export function errorFor(err: unknown, field: string): string | undefined {
  const hits = fieldProblems(err).filter(
    (p) => p.field !== null && (p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`)),
  );
  return hits.length ? hits.map((p) => p.message).join('; ') : undefined;
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The request was malformed',
  401: 'You are not signed in (or your session expired)',
  403: 'Your role may not do this',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported content type',
  422: 'Some values are not valid',
  429: 'Too many requests',
  500: 'The server failed',
  501: 'Not available here',
  503: 'A dependency is temporarily unavailable; retry shortly',
};

/**
 * Turns any error into one sentence a person can act on, naming the field, CSV row
 * or lifecycle move the API's details point at.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) {
    if (err instanceof Error) return err.message;
    return String(err);
  }
  const lead = STATUS_WORDS[err.status] ?? `HTTP ${err.status}`;
  const d = isRecord(err.details) ? err.details : undefined;
  const parts: string[] = [];

  const problems = fieldProblems(err);
  if (problems.length) {
    parts.push(problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '));
  } else if (d && err.code === 'field_locked' && Array.isArray(d.fields)) {
    const status = typeof d.status === 'string' ? d.status : 'running';
    parts.push(`${err.message} (locked while ${status}: ${d.fields.join(', ')} — pause and clone to change them)`);
  } else if (d && err.code === 'illegal_lifecycle_move' && typeof d.action === 'string' && typeof d.from === 'string') {
    parts.push(`cannot ${d.action} a campaign that is ${d.from}`);
  } else if (d && err.code === 'version_mismatch') {
    parts.push(`${err.message} — someone else changed it; reload and try again`);
  } else {
    parts.push(err.message);
  }

  if (d) {
    const line = d.line ?? d.row;
    if (typeof line === 'number') parts.push(`(CSV row ${line})`);
    if (Array.isArray(d.rows) && d.rows.length) parts.push(`(CSV rows ${d.rows.slice(0, 10).join(', ')})`);
    if (Array.isArray(d.headers)) parts.push(`(columns found: ${d.headers.join(', ')})`);
    if (typeof d.index === 'number') parts.push(`(rule ${d.index + 1})`);
  }
  return `${lead}: ${parts.join(' ')}`;
}
