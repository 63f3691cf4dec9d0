import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
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
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import { api, authedFetch, must, type Schemas } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { useMe } from '../auth/me';
import { Confirm } from '../components/Confirm';
import { downloadFile } from '../lib/download';
import { flash } from '../lib/flash';
import { checkContactFile } from '../lib/upload';
import { historyRow, sourceText, when, type Change, type Entry } from '../lib/blacklist';

type Lookup = Schemas['BlacklistLookup'];
type InvalidRow = Schemas['InvalidRow'];
interface ImportResult {
  summary?: Schemas['ImportSummary'];
  errors?: InvalidRow[];
  newly_listed?: number;
  contacts_blocked?: number;
}

/** Numbers typed one per line (or separated by commas/semicolons). */
export function splitNumbers(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function AddNumbers() {
  const [text, setText] = useState('');
  const [reason, setReason] = useState('');
  const add = useMutation({
    mutationFn: () => must(api.POST('/api/blacklist', { body: { phone_numbers: splitNumbers(text), ...(reason.trim() ? { reason: reason.trim() } : {}) } })),
    onSuccess: (r) => {
      const added = r.added ?? [];
      const blocked = added.reduce((a, x) => a + (x.contacts_blocked ?? 0), 0);
      const listed = added.filter((a) => a.newly_listed).length;
      flash('success', `${plural(listed, 'number')} newly listed (${added.length} sent); ${plural(blocked, 'contact')} blocked in campaigns.`);
      setText('');
    },
  });
  const count = splitNumbers(text).length;
  return (
    <Container header={<Header variant="h2" description="Listed numbers are never called again, in every campaign, at once.">Add numbers</Header>}>
      <SpaceBetween size="s">
        {/* The field's accessible name is its visible label (FormField's aria-labelledby outranks an ariaLabel). */}
        <FormField label="Phone numbers to add" description="One per line, up to 1,000; international (+972…) or local." errorText={add.isError ? describeError(add.error) : undefined}>
          <Textarea value={text} onChange={(e) => setText(e.detail.value)} rows={4} placeholder="+972501234567" />
        </FormField>
        <FormField label="Reason (optional)">
          <Input value={reason} onChange={(e) => setReason(e.detail.value)} placeholder="asked not to be called" />
        </FormField>
        <Button variant="primary" disabled={count === 0 || count > 1000} loading={add.isPending} onClick={() => add.mutate()}>
          Add {count > 0 ? count : ''} to the do-not-call list
        </Button>
        {add.data && (
          <Table
            variant="embedded"
            items={add.data.added ?? []}
            columnDefinitions={[
              { id: 'p', header: 'Number', cell: (a) => <span dir="ltr">{a.phone_number}</span> },
              { id: 'n', header: 'Listed', cell: (a) => (a.newly_listed ? 'newly listed' : 'was already listed') },
              { id: 'b', header: 'Contacts blocked', cell: (a) => a.contacts_blocked ?? 0 },
            ]}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}

function LookupNumber() {
  const [phone, setPhone] = useState('');
  const [confirm, setConfirm] = useState(false);
  const lookup = useMutation({
    mutationFn: (p: string) => must(api.GET('/api/blacklist/{phone}', { params: { path: { phone: p } } })) as Promise<Lookup>,
  });
  const remove = useMutation({
    mutationFn: async (p: string) => {
      const res = await authedFetch(`/api/blacklist/${encodeURIComponent(p)}`, { method: 'DELETE' });
      if (!res.ok) throw ApiError.fromBody(res.status, await res.json().catch(() => undefined), res.statusText);
    },
    onSuccess: (_, p) => {
      setConfirm(false);
      flash('success', `${p} was removed from the do-not-call list.`);
      lookup.mutate(p);
    },
  });
  const r = lookup.data;
  const history = ((r?.history ?? []) as unknown as Change[]).map(historyRow);
  const entry = r?.entry as unknown as Entry | null | undefined;
  return (
    <Container header={<Header variant="h2" description="Whether a number is listed, and its history (added, removed, by whom, why).">Look up a number</Header>}>
      <SpaceBetween size="s">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (phone.trim()) lookup.mutate(phone.trim());
          }}
        >
          <SpaceBetween direction="horizontal" size="xs">
            <Input value={phone} onChange={(e) => setPhone(e.detail.value)} placeholder="+972501234567" ariaLabel="Number to look up" />
            <Button formAction="submit" loading={lookup.isPending} disabled={!phone.trim()}>
              Look up
            </Button>
          </SpaceBetween>
        </form>
        {lookup.isError && <Alert type="error">{describeError(lookup.error)}</Alert>}
        {r && (
          <SpaceBetween size="s">
            <SpaceBetween direction="horizontal" size="s" alignItems="center">
              <span dir="ltr">
                <b>{r.phone_number}</b>
              </span>
              {r.listed ? <StatusIndicator type="stopped" colorOverride="red">on the do-not-call list</StatusIndicator> : <StatusIndicator type="success">not listed</StatusIndicator>}
              {r.listed && (
                <Button onClick={() => setConfirm(true)} loading={remove.isPending}>
                  Remove from the list
                </Button>
              )}
            </SpaceBetween>
            {entry && (
              <Box variant="small">
                Listed {when(entry.added_at)} · {sourceText(entry.source)}
                {entry.reason ? (
                  <>
                    {' · '}
                    <bdi>{entry.reason}</bdi>
                  </>
                ) : null}
              </Box>
            )}
            {remove.isError && <Alert type="error">{describeError(remove.error)}</Alert>}
            <Table
              variant="embedded"
              header={<Header variant="h3">History</Header>}
              items={history}
              empty={<Box textAlign="center">No history for this number.</Box>}
              columnDefinitions={[
                { id: 'at', header: 'When', cell: (h) => h.when },
                { id: 'action', header: 'What', cell: (h) => h.what },
                { id: 'by', header: 'By', cell: (h) => h.by },
                { id: 'reason', header: 'Reason', cell: (h) => <span dir="auto">{h.reason}</span> },
              ]}
            />
          </SpaceBetween>
        )}
        <Confirm
          visible={confirm}
          title="Remove from the do-not-call list?"
          confirmText="Remove"
          onConfirm={() => r?.phone_number && remove.mutate(r.phone_number)}
          onCancel={() => setConfirm(false)}
          busy={remove.isPending}
        >
          {r?.phone_number} may be called again by campaigns that have it.
        </Confirm>
      </SpaceBetween>
    </Container>
  );
}

function ImportFile() {
  const [files, setFiles] = useState<File[]>([]);
  const [reason, setReason] = useState('');
  const [region, setRegion] = useState('');
  const [problem, setProblem] = useState('');
  const imp = useMutation({
    mutationFn: async (file: File) => {
      const check = checkContactFile(file);
      if (!check.ok) throw new Error(check.problem);
      const q = new URLSearchParams({ file_name: file.name });
      if (reason.trim()) q.set('reason', reason.trim());
      if (region.trim()) q.set('region', region.trim().toUpperCase());
      const res = await authedFetch(`/api/blacklist/imports?${q}`, { method: 'POST', headers: { 'Content-Type': check.contentType }, body: file });
      const body = await res.json().catch(() => undefined);
      if (!res.ok) throw ApiError.fromBody(res.status, body, res.statusText);
      return body as ImportResult;
    },
  });
  const pick = (picked: File[]) => {
    setFiles(picked);
    setProblem('');
    if (picked[0]) imp.mutate(picked[0]);
  };
  const s = imp.data?.summary;
  return (
    <Container header={<Header variant="h2" description="CSV or XLSX with a phone column.">Import a file</Header>}>
      <SpaceBetween size="s">
        <ColumnLayout columns={2}>
          <FormField label="Reason recorded for each number">
            <Input value={reason} onChange={(e) => setReason(e.detail.value)} ariaLabel="Import reason" />
          </FormField>
          <FormField label="Region for local numbers">
            <Input value={region} onChange={(e) => setRegion(e.detail.value)} placeholder="IL" ariaLabel="Import region" />
          </FormField>
        </ColumnLayout>
        <FileDropzone onChange={(e) => pick(e.detail.value)}>
          <SpaceBetween size="xs" alignItems="center">
            <Box color="inherit">Drop a CSV or XLSX file here, or</Box>
            <FileInput value={files} accept=".csv,.xlsx" onChange={(e) => pick(e.detail.value)} ariaLabel="Choose a do-not-call file">
              Choose file
            </FileInput>
          </SpaceBetween>
        </FileDropzone>
        {imp.isPending && <StatusIndicator type="loading">Importing…</StatusIndicator>}
        {(imp.isError || problem) && <Alert type="error" header="Not imported">{problem || describeError(imp.error)}</Alert>}
        {imp.data && (
          <SpaceBetween size="s">
            <ColumnLayout columns={5} variant="text-grid">
              {[
                ['Rows', s?.total_rows],
                ['Imported', s?.imported],
                ['Duplicates', s?.duplicates],
                ['Invalid', s?.invalid],
                ['Newly listed', imp.data.newly_listed],
              ].map(([l, v]) => (
                <div key={String(l)}>
                  <Box variant="awsui-key-label">{l}</Box>
                  <Box variant="awsui-value-large">{v ?? '—'}</Box>
                </div>
              ))}
            </ColumnLayout>
            <Box>{imp.data.contacts_blocked ?? 0} contacts in campaigns were blocked.</Box>
            {(imp.data.errors ?? []).length > 0 && (
              <Table
                variant="embedded"
                header={<Header variant="h3">Invalid rows</Header>}
                items={imp.data.errors ?? []}
                columnDefinitions={[
                  { id: 'row', header: 'Row', cell: (r) => r.row },
                  { id: 'value', header: 'Value', cell: (r) => <span dir="auto">{r.value}</span> },
                  { id: 'reason', header: 'Reason', cell: (r) => r.reason },
                ]}
              />
            )}
          </SpaceBetween>
        )}
      </SpaceBetween>
    </Container>
  );
}

export default function Blacklist() {
  const me = useMe();
  const canAdd = Boolean(me.data?.can.manage_campaigns || me.data?.can.administer_blacklist);
  const isAdmin = me.data?.can.administer_blacklist ?? false;
  const exp = useMutation({
    mutationFn: () => downloadFile('/api/blacklist/export', `do-not-call-${new Date().toISOString().slice(0, 10)}.csv`),
    onSuccess: (name) => flash('success', `Saved ${name}.`),
    onError: (e) => flash('error', `Could not export: ${describeError(e)}`),
  });
  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description="Numbers no campaign may call."
          actions={
            isAdmin && (
              <Button iconName="download" loading={exp.isPending} onClick={() => exp.mutate()}>
                Export CSV
              </Button>
            )
          }
        >
          Do-not-call list
        </Header>
      }
    >
      <SpaceBetween size="l">
        {me.isLoading && <StatusIndicator type="loading">Reading your role…</StatusIndicator>}
        {me.data && !canAdd && <Alert type="info">Your role ({me.data.role}) may not change the do-not-call list.</Alert>}
        {me.data && canAdd && !isAdmin && <Alert type="info">Your role may add numbers; looking numbers up, removing, importing files and exporting are for administrators.</Alert>}
        {canAdd && <AddNumbers />}
        {isAdmin && <LookupNumber />}
        {isAdmin && <ImportFile />}
      </SpaceBetween>
    </ContentLayout>
  );
}
