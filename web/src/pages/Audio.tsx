import { useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import CopyToClipboard from '@cloudscape-design/components/copy-to-clipboard';
import FileDropzone from '@cloudscape-design/components/file-dropzone';
import FileInput from '@cloudscape-design/components/file-input';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Pagination from '@cloudscape-design/components/pagination';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { api, must, type AudioFile } from '../api/client';
import { describeError } from '../api/errors';
import { keys } from '../api/queries';
import { useMe } from '../auth/me';
import { flash } from '../lib/flash';
import { checkAudioFile, putWithProgress } from '../lib/upload';
import { recordingToWav } from '../lib/wav';

type Playable = AudioFile & { play_url?: string };

type Upload = { step: 'idle' } | { step: 'rejected'; problem: string } | { step: 'uploading'; name: string; pct: number } | { step: 'failed'; message: string };

/** Type and size checked here first (MP3/WAV, ≤ 10 MB, as the API requires), then link → PUT with progress. */
async function uploadAudio(file: File, onProgress: (pct: number) => void): Promise<string> {
  const check = checkAudioFile(file);
  if (!check.ok) throw new Error(check.problem);
  const link = await must(
    api.POST('/api/audio/uploads', { body: { file_name: file.name, content_type: check.contentType as 'audio/mpeg', size_bytes: file.size } }),
  );
  if (!link.upload_url) throw new Error('the API gave no upload link');
  await putWithProgress(link.upload_url, file, link.content_type ?? check.contentType, (l, t) => onProgress(t ? Math.round((l / t) * 100) : 0));
  return link.audio ?? link.key ?? file.name;
}

function Recorder({ onFile }: { onFile: (f: File) => void }) {
  const [rec, setRec] = useState<MediaRecorder | null>(null);
  const [wav, setWav] = useState<{ blob: Blob; url: string } | null>(null);
  const [name, setName] = useState('recording');
  const [problem, setProblem] = useState('');
  const [seconds, setSeconds] = useState(0);
  const chunks = useRef<Blob[]>([]);
  useEffect(() => {
    if (!rec) return;
    const started = Date.now();
    const t = setInterval(() => setSeconds(Math.round((Date.now() - started) / 1000)), 500);
    return () => clearInterval(t);
  }, [rec]);
  useEffect(() => () => void (wav && URL.revokeObjectURL(wav.url)), [wav]);
  const supported = typeof navigator !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia) && typeof MediaRecorder !== 'undefined';

  async function start() {
    setProblem('');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const r = new MediaRecorder(stream);
      chunks.current = [];
      r.ondataavailable = (e) => e.data.size && chunks.current.push(e.data);
      r.onstop = async () => {
        stream.getTracks().forEach((t) => t.stop());
        try {
          // Browsers record webm/ogg; the API takes MP3 or WAV, so the take is written as WAV.
          const blob = await recordingToWav(new Blob(chunks.current, { type: r.mimeType }));
          setWav({ blob, url: URL.createObjectURL(blob) });
        } catch (e) {
          setProblem(`The recording could not be converted to WAV: ${e instanceof Error ? e.message : String(e)}`);
        }
      };
      r.start();
      setRec(r);
      setWav(null);
    } catch (e) {
      setProblem(`The microphone is not available: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  function stop() {
    rec?.stop();
    setRec(null);
  }
  if (!supported) return <Alert type="info">This browser cannot record audio here (recording needs a secure page and a microphone).</Alert>;
  return (
    <SpaceBetween size="s">
      <SpaceBetween direction="horizontal" size="xs" alignItems="center">
        {rec ? (
          <Button iconName="close" onClick={stop}>
            Stop ({seconds} s)
          </Button>
        ) : (
          <Button iconName="microphone" onClick={() => void start()}>
            Record
          </Button>
        )}
        {rec && <StatusIndicator type="in-progress">Recording…</StatusIndicator>}
      </SpaceBetween>
      {problem && <Alert type="error">{problem}</Alert>}
      {wav && (
        <SpaceBetween size="xs">
          <audio controls src={wav.url} aria-label="The recording" />
          <FormField label="Name" description={`WAV, ${(wav.blob.size / 1024).toFixed(0)} kB`}>
            <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Recording name" />
          </FormField>
          <Button variant="primary" onClick={() => onFile(new File([wav.blob], `${name.trim() || 'recording'}.wav`, { type: 'audio/wav' }))}>
            Upload the recording
          </Button>
        </SpaceBetween>
      )}
    </SpaceBetween>
  );
}

export default function Audio() {
  const me = useMe();
  const canManage = me.data?.can.manage_campaigns ?? false;
  const queryClient = useQueryClient();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(1);
  const list = useQuery({
    queryKey: [...keys.audio, cursors[page - 1] ?? ''],
    queryFn: () => must(api.GET('/api/audio', { params: { query: { limit: 50, ...(cursors[page - 1] ? { cursor: cursors[page - 1] } : {}) } } })),
    enabled: canManage,
  });
  const next = list.data?.next_cursor ?? undefined;
  useEffect(() => {
    if (next && cursors.length === page) setCursors((c) => [...c, next]);
  }, [next, page, cursors.length]);
  const [upload, setUpload] = useState<Upload>({ step: 'idle' });
  const [files, setFiles] = useState<File[]>([]);

  async function send(file: File) {
    const check = checkAudioFile(file);
    if (!check.ok) return setUpload({ step: 'rejected', problem: check.problem });
    setUpload({ step: 'uploading', name: file.name, pct: 0 });
    try {
      const ref = await uploadAudio(file, (pct) => setUpload({ step: 'uploading', name: file.name, pct }));
      setUpload({ step: 'idle' });
      setFiles([]);
      flash('success', `Uploaded ${file.name}: use ${ref} as the campaign's audio.`);
      void queryClient.invalidateQueries({ queryKey: keys.audio });
    } catch (e) {
      setUpload({ step: 'failed', message: describeError(e) });
    }
  }
  const pick = (picked: File[]) => {
    setFiles(picked);
    if (picked[0]) void send(picked[0]);
  };
  const busy = upload.step === 'uploading';

  return (
    <ContentLayout header={<Header variant="h1" description="Messages campaigns play: upload MP3 or WAV, or record one here.">Audio library</Header>}>
      <SpaceBetween size="l">
        {me.data && !canManage && <Alert type="info">Your role ({me.data.role}) does not manage audio.</Alert>}
        {canManage && (
          <ColumnLayout columns={2}>
            <Container header={<Header variant="h2" description="MP3 or WAV, at most 10 MB.">Upload</Header>}>
              <SpaceBetween size="s">
                <FileDropzone onChange={(e) => !busy && pick(e.detail.value)}>
                  <SpaceBetween size="xs" alignItems="center">
                    <Box color="inherit">Drop an MP3 or WAV file here, or</Box>
                    <FileInput value={files} accept=".mp3,.wav,audio/mpeg,audio/wav,audio/x-wav" onChange={(e) => pick(e.detail.value)} ariaLabel="Choose an audio file">
                      Choose file
                    </FileInput>
                  </SpaceBetween>
                </FileDropzone>
                {upload.step === 'rejected' && <Alert type="error" header="Not uploaded">{upload.problem}</Alert>}
                {upload.step === 'failed' && <Alert type="error" header="The upload failed">{upload.message}</Alert>}
                {upload.step === 'uploading' && <ProgressBar label={`Uploading ${upload.name}`} value={upload.pct} />}
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2" description="Recorded in the browser, uploaded as WAV.">Record</Header>}>
              <Recorder onFile={(f) => void send(f)} />
            </Container>
          </ColumnLayout>
        )}
        {canManage && (
          <Table
            header={<Header variant="h2" description="Put a file's reference in a campaign's audio setting (the wizard offers this list).">Library</Header>}
            loading={list.isLoading}
            loadingText="Loading audio"
            items={(list.data?.items ?? []) as Playable[]}
            trackBy="key"
            empty={list.isError ? <Alert type="error">{describeError(list.error)}</Alert> : <Box textAlign="center">No audio uploaded yet.</Box>}
            columnDefinitions={[
              { id: 'key', header: 'File', cell: (a) => <span dir="auto">{(a.key ?? '').split('/').pop()}</span> },
              {
                id: 'play',
                header: 'Preview',
                cell: (a) => (a.play_url ? <audio controls preload="none" src={a.play_url} aria-label={`Play ${a.key}`} style={{ height: 32 }} /> : <Box color="text-status-inactive">no preview</Box>),
                minWidth: 320,
              },
              { id: 'size', header: 'Size', cell: (a) => `${((a.size_bytes ?? 0) / 1024).toFixed(0)} kB` },
              { id: 'modified', header: 'Uploaded', cell: (a) => (a.last_modified ? new Date(a.last_modified).toLocaleString() : '—') },
              {
                id: 'ref',
                header: 'Reference (settings.audio)',
                cell: (a) => <CopyToClipboard variant="inline" textToCopy={a.audio ?? ''} copySuccessText="Copied" copyErrorText="Could not copy" />,
              },
            ]}
            pagination={<Pagination currentPageIndex={page} pagesCount={cursors.length} openEnd={Boolean(next)} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
          />
        )}
      </SpaceBetween>
    </ContentLayout>
  );
}
