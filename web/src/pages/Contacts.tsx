import { useCallback, useEffect, useReducer, useState } from 'react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import FileDropzone from '@cloudscape-design/components/file-dropzone';
import FileInput from '@cloudscape-design/components/file-input';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Pagination from '@cloudscape-design/components/pagination';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { api, must, type Schemas } from '../api/client';
import { describeError } from '../api/errors';
import { useCampaign } from '../api/queries';
import { useMe } from '../auth/me';
import { checkContactFile, putWithProgress, shouldPoll, uploadReducer, type UploadState } from '../lib/upload';

type ImportRecord = Schemas['ImportRecord'];
type Contact = Schemas['Contact'];
type Dedup = 'keep_first' | 'keep_last' | 'merge';
type ContactStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'blacklisted';

const DEDUP: { value: Dedup; label: string }[] = [
  { value: 'keep_first', label: 'Keep the first row of a repeated number' },
  { value: 'keep_last', label: 'Keep the last row of a repeated number' },
  { value: 'merge', label: 'Merge repeated rows' },
];

const CONTACT_STATUS: Record<string, StatusIndicatorProps.Type> = {
  pending: 'pending',
  in_progress: 'in-progress',
  completed: 'success',
  failed: 'error',
  blacklisted: 'stopped',
};

function Num({ label, value, testId }: { label: string; value?: number | null; testId: string }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <Box variant="awsui-value-large" data-testid={testId}>
        {value ?? '—'}
      </Box>
    </div>
  );
}

/** The exact import summary and every invalid row (number and reason). */
function ImportResult({ record }: { record: ImportRecord }) {
  const s = record.summary;
  const errors = record.errors ?? [];
  const [page, setPage] = useState(1);
  const per = 25;
  return (
    <SpaceBetween size="l">
      <ColumnLayout columns={6} variant="text-grid">
        <Num label="Rows in the file" value={s?.total_rows} testId="sum-total" />
        <Num label="Imported" value={s?.imported} testId="sum-imported" />
        <Num label="Duplicates" value={s?.duplicates} testId="sum-duplicates" />
        <Num label="Invalid" value={s?.invalid} testId="sum-invalid" />
        <Num label="Stored" value={record.stored} testId="sum-stored" />
        <Num label="On the do-not-call list" value={record.blacklisted} testId="sum-blacklisted" />
      </ColumnLayout>
      {errors.length > 0 && (
        <Table
          variant="embedded"
          header={
            <Header variant="h3" counter={`(${errors.length}${record.errors_truncated ? '+' : ''})`} description={record.errors_truncated ? 'Only the first invalid rows are kept; fix these and upload again to see the rest.' : 'Rows that were not imported, with the reason.'}>
              Invalid rows
            </Header>
          }
          items={errors.slice((page - 1) * per, page * per)}
          columnDefinitions={[
            { id: 'row', header: 'Row', cell: (r) => r.row, width: 90 },
            { id: 'value', header: 'Value', cell: (r) => <span dir="auto">{r.value || '(empty)'}</span> },
            { id: 'reason', header: 'Reason', cell: (r) => r.reason },
          ]}
          pagination={errors.length > per ? <Pagination currentPageIndex={page} pagesCount={Math.ceil(errors.length / per)} onChange={(e) => setPage(e.detail.currentPageIndex)} /> : undefined}
        />
      )}
    </SpaceBetween>
  );
}

function UploadPanel({ campaignId, onImported }: { campaignId: string; onImported: () => void }) {
  const [state, dispatch] = useReducer(uploadReducer<ImportRecord>, { step: 'idle' } as UploadState<ImportRecord>);
  const [region, setRegion] = useState('');
  const [dedup, setDedup] = useState<Dedup>('keep_first');
  const [files, setFiles] = useState<File[]>([]);
  const [elapsed, setElapsed] = useState(0);

  const importId = state.step === 'importing' ? state.importId : undefined;
  // The poll: every second while the import runs.
  useEffect(() => {
    if (!importId || !shouldPoll(state)) return;
    let stop = false;
    const started = Date.now();
    const tick = async () => {
      while (!stop) {
        try {
          const record = await must(api.GET('/api/campaigns/{id}/imports/{import_id}', { params: { path: { id: campaignId, import_id: importId } } }));
          if (stop) return;
          dispatch({ type: 'polled', record });
          if (record.status === 'completed' || record.status === 'failed') return;
        } catch (e) {
          if (!stop) dispatch({ type: 'error', message: describeError(e) });
          return;
        }
        setElapsed(Math.round((Date.now() - started) / 1000));
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void tick();
    return () => {
      stop = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [importId]);

  useEffect(() => {
    if (state.step === 'completed') onImported();
  }, [state.step, onImported]);

  async function start(file: File) {
    const check = checkContactFile(file);
    dispatch({ type: 'pick', file, check });
    if (!check.ok) return;
    try {
      const link = await must(
        api.POST('/api/campaigns/{id}/contact-uploads', {
          params: { path: { id: campaignId } },
          body: { file_name: file.name, content_type: check.contentType as 'text/csv', dedup, ...(region.trim() ? { region: region.trim().toUpperCase() } : {}) },
        }),
      );
      if (!link.import_id || !link.upload_url) throw new Error('the API gave no upload link');
      dispatch({ type: 'linked', importId: link.import_id });
      await putWithProgress(link.upload_url, file, link.content_type ?? check.contentType, (loaded, total) => dispatch({ type: 'progress', loaded, total }));
      dispatch({ type: 'uploaded' });
    } catch (e) {
      dispatch({ type: 'error', message: describeError(e) });
    }
  }

  const busy = state.step === 'linking' || state.step === 'uploading' || state.step === 'importing';
  const pick = (picked: File[]) => {
    setFiles(picked);
    if (picked[0]) void start(picked[0]);
  };

  return (
    <Container header={<Header variant="h2" description="CSV or XLSX with a phone column; other columns become the contact's fields (used in templates).">Upload contacts</Header>}>
      <SpaceBetween size="m">
        <ColumnLayout columns={2}>
          <FormField label="Region for numbers without a country code" description="ISO code such as IL or US; empty = the API's default.">
            <Input value={region} onChange={(e) => setRegion(e.detail.value)} placeholder="IL" disabled={busy} ariaLabel="Region" />
          </FormField>
          <FormField label="Repeated numbers">
            <Select
              selectedOption={DEDUP.find((d) => d.value === dedup) ?? null}
              options={DEDUP}
              onChange={(e) => setDedup(e.detail.selectedOption.value as Dedup)}
              disabled={busy}
            />
          </FormField>
        </ColumnLayout>
        <FileDropzone onChange={(e) => !busy && pick(e.detail.value)}>
          <SpaceBetween size="xs" alignItems="center">
            <Box color="inherit">Drop a CSV or XLSX file here, or</Box>
            <FileInput value={files} accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" onChange={(e) => pick(e.detail.value)} ariaLabel="Choose a contact file">
              Choose file
            </FileInput>
          </SpaceBetween>
        </FileDropzone>
        {state.step === 'rejected' && <Alert type="error" header="This file cannot be imported">{state.problem}</Alert>}
        {state.step === 'linking' && <StatusIndicator type="loading">Asking for an upload link for {state.file}…</StatusIndicator>}
        {state.step === 'uploading' && (
          <ProgressBar
            label={`Uploading ${state.file}`}
            value={state.total ? Math.round((state.loaded / state.total) * 100) : 0}
            additionalInfo={state.total ? `${(state.loaded / 1024).toFixed(0)} of ${(state.total / 1024).toFixed(0)} kB` : undefined}
          />
        )}
        {state.step === 'importing' && (
          <ProgressBar
            label={`Importing ${state.file}`}
            status="in-progress"
            value={100}
            variant="standalone"
            description={`The file is uploaded; the import is running (${state.record?.status ?? 'waiting'}, ${elapsed} s).`}
            additionalInfo="Numbers are checked, normalised and de-duplicated."
          />
        )}
        {state.step === 'failed' && (
          <Alert type="error" header={`The import ${state.record ? 'failed' : 'did not start'}`} action={<Button onClick={() => dispatch({ type: 'reset' })}>Try again</Button>}>
            {state.message}
            {state.code ? ` (${state.code})` : ''}
          </Alert>
        )}
        {state.step === 'completed' && (
          <SpaceBetween size="m">
            <Alert type={(state.record.summary?.invalid ?? 0) > 0 ? 'warning' : 'success'} header={`Imported ${state.file}`}>
              {state.record.summary?.imported ?? 0} contacts imported
              {(state.record.summary?.invalid ?? 0) > 0 ? `; ${state.record.summary?.invalid} rows were invalid (listed below).` : '.'}
            </Alert>
            <ImportResult record={state.record} />
          </SpaceBetween>
        )}
      </SpaceBetween>
    </Container>
  );
}

const STATUS_FILTER: { value: '' | ContactStatus; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'pending', label: 'Pending' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'completed', label: 'Completed' },
  { value: 'failed', label: 'Failed' },
  { value: 'blacklisted', label: 'Blacklisted' },
];

const NAME_KEYS = ['first_name', 'last_name', 'name', 'full_name'];
const nameOf = (c: Contact) =>
  NAME_KEYS.map((k) => c.metadata?.[k])
    .filter(Boolean)
    .join(' ');
const when = (iso?: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** The contact list, page by page with the API's cursor (pages seen are remembered for going back). */
function ContactList({ campaignId }: { campaignId: string }) {
  const [status, setStatus] = useState<'' | ContactStatus>('');
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(1);
  const limit = 50;
  const q = useQuery({
    queryKey: ['contacts', campaignId, status, cursors[page - 1] ?? ''],
    queryFn: () =>
      must(
        api.GET('/api/campaigns/{id}/contacts', {
          params: { path: { id: campaignId }, query: { limit, ...(status ? { status } : {}), ...(cursors[page - 1] ? { cursor: cursors[page - 1] } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const next = q.data?.next_cursor ?? undefined;
  useEffect(() => {
    if (next && cursors.length === page) setCursors((c) => [...c, next]);
  }, [next, page, cursors.length]);
  const extra = Object.keys(q.data?.items.reduce<Record<string, true>>((acc, c) => (Object.keys(c.metadata ?? {}).forEach((k) => !NAME_KEYS.includes(k) && (acc[k] = true)), acc), {}) ?? {}).slice(0, 3);

  return (
    <Table
      loading={q.isLoading}
      loadingText="Loading contacts"
      items={q.data?.items ?? []}
      trackBy="id"
      header={
        <Header
          variant="h2"
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Select
                selectedOption={STATUS_FILTER.find((s) => s.value === status) ?? null}
                options={STATUS_FILTER}
                onChange={(e) => {
                  setStatus(e.detail.selectedOption.value as '' | ContactStatus);
                  setCursors([undefined]);
                  setPage(1);
                }}
                ariaLabel="Filter by status"
              />
              <Button iconName="refresh" ariaLabel="Refresh contacts" onClick={() => void q.refetch()} loading={q.isFetching} />
            </SpaceBetween>
          }
        >
          Contacts
        </Header>
      }
      empty={q.isError ? <Alert type="error">{describeError(q.error)}</Alert> : <Box textAlign="center">No contacts{status ? ` with status ${status}` : ''} yet.</Box>}
      columnDefinitions={[
        { id: 'phone', header: 'Phone', cell: (c) => <span dir="ltr">{c.phone}</span> },
        { id: 'name', header: 'Name', cell: (c) => <span dir="auto">{nameOf(c) || '—'}</span> },
        ...extra.map((k) => ({ id: `m_${k}`, header: k, cell: (c: Contact) => <span dir="auto">{c.metadata?.[k] ?? ''}</span> })),
        {
          id: 'status',
          header: 'Status',
          cell: (c) => (
            <StatusIndicator type={CONTACT_STATUS[c.status ?? ''] ?? 'info'} colorOverride={c.status === 'blacklisted' ? 'red' : undefined}>
              {c.status}
            </StatusIndicator>
          ),
        },
        { id: 'attempts', header: 'Attempts', cell: (c) => c.attempts ?? 0 },
        { id: 'outcome', header: 'Last outcome', cell: (c) => c.last_outcome ?? '—' },
        // A finished or blocked contact is never called again, whatever next_attempt_at still holds.
        { id: 'next', header: 'Next attempt', cell: (c) => (c.status === 'pending' || c.status === 'in_progress' ? when(c.next_attempt_at) : '—') },
      ]}
      pagination={
        <Pagination
          currentPageIndex={page}
          pagesCount={cursors.length}
          openEnd={Boolean(next)}
          onChange={(e) => setPage(e.detail.currentPageIndex)}
          ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }}
        />
      }
    />
  );
}

export default function Contacts() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const me = useMe();
  const campaign = useCampaign(id);
  const queryClient = useQueryClient();
  const canManage = me.data?.can.manage_campaigns ?? false;
  const refresh = useCallback(() => void queryClient.invalidateQueries({ queryKey: ['contacts', id] }), [queryClient, id]);
  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={campaign.data ? <span dir="auto">{campaign.data.name}</span> : 'Upload, import and browse a campaign\u2019s contacts.'}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button onClick={() => navigate(`/campaigns/${id}`)}>Campaign</Button>
              <Button onClick={() => navigate(`/campaigns/${id}/dashboard`)}>Live dashboard</Button>
            </SpaceBetween>
          }
        >
          Contacts
        </Header>
      }
    >
      <SpaceBetween size="l">
        {campaign.isError && <Alert type="error" header="Could not load the campaign">{describeError(campaign.error)}</Alert>}
        {me.data && !canManage && <Alert type="info">Your role ({me.data.role}) does not manage contacts; the live dashboard and reports show this campaign&apos;s numbers.</Alert>}
        {canManage && <UploadPanel campaignId={id} onImported={refresh} />}
        {canManage && <ContactList campaignId={id} />}
      </SpaceBetween>
    </ContentLayout>
  );
}
