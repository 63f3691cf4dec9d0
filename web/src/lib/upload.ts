// The contact upload as a state machine: pick a file → ask for a presigned link → PUT the file
// (progress) → poll the import while it runs → the summary, or a failure in words.

export const CSV_TYPE = 'text/csv';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** What `campaign serve` takes in one presigned PUT; S3 takes more, but a contact file this big is a mistake. */
export const MAX_CONTACT_FILE_BYTES = 50 * 1024 * 1024;
/** The API's limit for audio (shared/api routes/audio.rs MAX_AUDIO_BYTES). */
export const MAX_AUDIO_BYTES = 10 * 1024 * 1024;

export interface FileFacts {
  name: string;
  size: number;
  type: string;
}

export type Check = { ok: true; contentType: string } | { ok: false; problem: string };

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A contact file is CSV or XLSX (by extension; browsers give CSV many types), not empty, not huge. */
export function checkContactFile(f: FileFacts): Check {
  const ext = f.name.toLowerCase().split('.').pop() ?? '';
  const contentType = ext === 'csv' ? CSV_TYPE : ext === 'xlsx' ? XLSX_TYPE : null;
  if (!contentType) return { ok: false, problem: `${f.name}: not a CSV or XLSX file (.csv or .xlsx expected)` };
  if (f.size === 0) return { ok: false, problem: `${f.name} is empty` };
  if (f.size > MAX_CONTACT_FILE_BYTES) return { ok: false, problem: `${f.name} is ${mb(f.size)}; at most ${mb(MAX_CONTACT_FILE_BYTES)}` };
  return { ok: true, contentType };
}

/** An audio message is MP3 or WAV (type or extension) of at most 10 MB. */
export function checkAudioFile(f: FileFacts): Check {
  const ext = f.name.toLowerCase().split('.').pop() ?? '';
  const t = f.type.toLowerCase();
  let contentType: string | null = null;
  if (t === 'audio/mpeg' || t === 'audio/mp3' || ext === 'mp3') contentType = 'audio/mpeg';
  else if (t === 'audio/wav' || t === 'audio/x-wav' || t === 'audio/wave' || ext === 'wav') contentType = 'audio/wav';
  if (!contentType) return { ok: false, problem: `${f.name}: only MP3 or WAV audio is accepted${f.type ? ` (this is ${f.type})` : ''}` };
  if (f.size === 0) return { ok: false, problem: `${f.name} is empty` };
  if (f.size > MAX_AUDIO_BYTES) return { ok: false, problem: `${f.name} is ${mb(f.size)}; audio may be at most 10 MB` };
  return { ok: true, contentType };
}

export interface ImportRecordLike {
  import_id: string;
  status: 'awaiting_upload' | 'importing' | 'completed' | 'failed';
  failure?: { code: string; message: string } | null;
}

export type UploadState<R extends ImportRecordLike = ImportRecordLike> =
  | { step: 'idle' }
  | { step: 'rejected'; problem: string }
  | { step: 'linking'; file: string }
  | { step: 'uploading'; file: string; importId: string; loaded: number; total: number }
  | { step: 'importing'; file: string; importId: string; record?: R }
  | { step: 'completed'; file: string; record: R }
  | { step: 'failed'; file?: string; message: string; code?: string; record?: R };

export type UploadEvent<R extends ImportRecordLike = ImportRecordLike> =
  | { type: 'pick'; file: FileFacts; check: Check }
  | { type: 'linked'; importId: string }
  | { type: 'progress'; loaded: number; total: number }
  | { type: 'uploaded' }
  | { type: 'polled'; record: R }
  | { type: 'error'; message: string; code?: string }
  | { type: 'reset' };

/** Words for the import failure codes of the API (ImportRecord.failure.code). */
export const FAILURE_WORDS: Record<string, string> = {
  unreadable_file: 'The file could not be read (is it a real CSV or XLSX, with a phone column?)',
  unsupported_format: 'The file format is not supported (CSV or XLSX only)',
  campaign_finished: 'The campaign has finished; it takes no more contacts',
  campaign_not_found: 'The campaign no longer exists',
  invalid_settings: 'The import settings (region, duplicates) are not valid',
};

export function uploadReducer<R extends ImportRecordLike>(s: UploadState<R>, e: UploadEvent<R>): UploadState<R> {
  if (e.type === 'reset') return { step: 'idle' };
  const busy = s.step === 'linking' || s.step === 'uploading' || s.step === 'importing';
  switch (e.type) {
    case 'pick':
      if (busy) return s; // one upload at a time
      return e.check.ok ? { step: 'linking', file: e.file.name } : { step: 'rejected', problem: e.check.problem };
    case 'linked':
      return s.step === 'linking' ? { step: 'uploading', file: s.file, importId: e.importId, loaded: 0, total: 0 } : s;
    case 'progress':
      return s.step === 'uploading' ? { ...s, loaded: e.loaded, total: e.total } : s;
    case 'uploaded':
      return s.step === 'uploading' ? { step: 'importing', file: s.file, importId: s.importId } : s;
    case 'polled': {
      if (s.step !== 'importing' || e.record.import_id !== s.importId) return s; // a late answer for another import
      if (e.record.status === 'completed') return { step: 'completed', file: s.file, record: e.record };
      if (e.record.status === 'failed') {
        const code = e.record.failure?.code;
        const words = code ? (FAILURE_WORDS[code] ?? code) : 'The import failed';
        const detail = e.record.failure?.message;
        return { step: 'failed', file: s.file, code, record: e.record, message: detail ? `${words}: ${detail}` : words };
      }
      return { ...s, record: e.record };
    }
    case 'error':
      return busy ? { step: 'failed', file: s.file, message: e.message, code: e.code } : s;
  }
}

/** Whether the state machine wants the import polled. */
export const shouldPoll = (s: UploadState) => s.step === 'importing';

/** PUT a file with progress (fetch cannot report upload progress; XHR can). */
export function putWithProgress(url: string, file: Blob, contentType: string, onProgress: (loaded: number, total: number) => void): Promise<void> {
  return new Promise((ok, fail) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.onprogress = (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? ok() : fail(new Error(`the upload was refused (HTTP ${xhr.status}${xhr.responseText ? `: ${xhr.responseText.trim()}` : ''})`)));
    xhr.onerror = () => fail(new Error('the upload failed (network error)'));
    xhr.send(file);
  });
}
