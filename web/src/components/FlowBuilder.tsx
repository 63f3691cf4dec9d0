import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import Alert from '@cloudscape-design/components/alert';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { api, must, type Schemas } from '../api/client';
import { describeError, fieldProblems } from '../api/errors';
import {
  ACTION_TYPES,
  addNode,
  DTMF_KEYS,
  localProblems,
  removeNode,
  removeOption,
  renameNode,
  replaceNode,
  setOption,
  toApi,
  type ActionType,
  type IvrFlow,
  type IvrNode,
  type MenuOption,
  type NodeType,
} from '../lib/ivrFlow';
import { FlowDiagram } from './FlowDiagram';

const NODE_TYPES: { value: NodeType; label: string }[] = [
  { value: 'play_audio', label: 'Play audio' },
  { value: 'menu', label: 'Menu (keys)' },
  { value: 'capture_input', label: 'Capture digits' },
  { value: 'action', label: 'Action' },
];
const END = '';

function nodeOptions(flow: IvrFlow, except: string): SelectProps.Option[] {
  return [{ value: END, label: '(end the call)' }, ...flow.nodes.filter((n) => n.id !== except).map((n) => ({ value: n.id, label: n.id }))];
}
function actionOptions(allowNone: boolean): SelectProps.Option[] {
  return [...(allowNone ? [{ value: END, label: '(no action)' }] : []), ...ACTION_TYPES.map((a) => ({ value: a, label: a }))];
}
const sel = (opts: SelectProps.Option[], v: string | undefined) => opts.find((o) => o.value === (v ?? END)) ?? opts[0]!;
const num = (s: string, fallback: number) => (/^\d+$/.test(s) ? Number(s) : fallback);

function AudioInput({ value, onChange, audio, label }: { value: string; onChange: (v: string) => void; audio: string[]; label: string }) {
  return (
    <FormField label={label} description="sound:…, recording:… or an https URL">
      <Autosuggest
        value={value}
        onChange={(e) => onChange(e.detail.value)}
        options={audio.map((a) => ({ value: a }))}
        enteredTextLabel={(v) => `Use: ${v}`}
        ariaLabel={label}
        placeholder="sound:…"
        empty="No audio in the library"
      />
    </FormField>
  );
}

function OptionEditor({
  flow,
  menuId,
  option,
  onChange,
  label,
}: {
  flow: IvrFlow;
  menuId: string;
  option: MenuOption;
  onChange: (o: MenuOption) => void;
  label: string;
}) {
  const acts = actionOptions(true);
  const next = nodeOptions(flow, '');
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <Select
        ariaLabel={`${label} action`}
        selectedOption={sel(acts, option.action?.type)}
        options={acts}
        onChange={(e) => {
          const v = e.detail.selectedOption.value as ActionType | '';
          const o: MenuOption = { ...option };
          if (v) o.action = { ...(option.action ?? {}), type: v };
          else delete o.action;
          onChange(o);
        }}
      />
      <Box padding={{ top: 'xxs' }}>then</Box>
      <Select
        ariaLabel={`${label} next node`}
        selectedOption={sel(next, option.nextNodeId)}
        options={next.filter((o) => o.value !== menuId || true)}
        onChange={(e) => {
          const v = e.detail.selectedOption.value ?? END;
          const o: MenuOption = { ...option };
          if (v) o.nextNodeId = v;
          else delete o.nextNodeId;
          onChange(o);
        }}
      />
    </SpaceBetween>
  );
}

function NodeEditor({
  flow,
  node,
  audio,
  onFlow,
  onSelect,
}: {
  flow: IvrFlow;
  node: IvrNode;
  audio: string[];
  onFlow: (f: IvrFlow) => void;
  onSelect: (id: string | null) => void;
}) {
  const [name, setName] = useState(node.id);
  const [renameError, setRenameError] = useState<string>();
  const [newKey, setNewKey] = useState<SelectProps.Option | null>(null);
  const put = (n: IvrNode) => onFlow(replaceNode(flow, n));
  const next = nodeOptions(flow, node.id);
  const rename = () => {
    try {
      const f = renameNode(flow, node.id, name);
      setRenameError(undefined);
      onFlow(f);
      onSelect(name.trim());
    } catch (e) {
      setRenameError(e instanceof Error ? e.message : String(e));
    }
  };
  const nextField =
    node.type !== 'menu' ? (
      <FormField label="Then go to">
        <Select
          selectedOption={sel(next, node.nextNodeId)}
          options={next}
          onChange={(e) => {
            const v = e.detail.selectedOption.value ?? END;
            const n = { ...node };
            if (v) n.nextNodeId = v;
            else delete n.nextNodeId;
            put(n);
          }}
        />
      </FormField>
    ) : null;

  return (
    <Container
      header={
        <Header
          variant="h3"
          description={node.type}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              {flow.startNodeId !== node.id && <Button onClick={() => onFlow({ ...flow, startNodeId: node.id })}>Make start node</Button>}
              <Button
                onClick={() => {
                  onFlow(removeNode(flow, node.id));
                  onSelect(null);
                }}
              >
                Remove node
              </Button>
            </SpaceBetween>
          }
        >
          {`Node ${node.id}${flow.startNodeId === node.id ? ' (start)' : ''}`}
        </Header>
      }
    >
      <SpaceBetween size="m">
        <FormField label="Node name" errorText={renameError} description="Renaming updates every arrow into it.">
          <SpaceBetween direction="horizontal" size="xs">
            <Input value={name} onChange={(e) => setName(e.detail.value)} onBlur={rename} ariaLabel="Node name" />
            <Button onClick={rename} disabled={name === node.id}>
              Rename
            </Button>
          </SpaceBetween>
        </FormField>
        {node.type === 'play_audio' && (
          <ColumnLayout columns={2}>
            <AudioInput label="Audio" value={node.audioUrl} audio={audio} onChange={(v) => put({ ...node, audioUrl: v })} />
            {nextField}
          </ColumnLayout>
        )}
        {node.type === 'capture_input' && (
          <ColumnLayout columns={2}>
            <AudioInput label="Prompt (optional)" value={node.audioUrl ?? ''} audio={audio} onChange={(v) => put({ ...node, audioUrl: v || undefined })} />
            <FormField label="Digits at most" description="Ends earlier at # or silence.">
              <Input type="number" value={String(node.maxDigits)} onChange={(e) => put({ ...node, maxDigits: num(e.detail.value, node.maxDigits) })} />
            </FormField>
            <FormField label="Silence timeout (s)">
              <Input type="number" value={String(node.timeout ?? 10)} onChange={(e) => put({ ...node, timeout: num(e.detail.value, 10) })} />
            </FormField>
            {nextField}
          </ColumnLayout>
        )}
        {node.type === 'action' && (
          <ColumnLayout columns={2}>
            <FormField label="Action">
              <Select
                selectedOption={sel(actionOptions(false), node.action.type)}
                options={actionOptions(false)}
                onChange={(e) => put({ ...node, action: { ...node.action, type: e.detail.selectedOption.value as ActionType } })}
              />
            </FormField>
            {nextField}
          </ColumnLayout>
        )}
        {node.type === 'menu' && (
          <SpaceBetween size="m">
            <ColumnLayout columns={2}>
              <AudioInput label="Menu prompt" value={node.audioUrl} audio={audio} onChange={(v) => put({ ...node, audioUrl: v })} />
              <ColumnLayout columns={2}>
                <FormField label="Timeout (s)" description="1–120">
                  <Input type="number" value={String(node.timeout ?? 10)} onChange={(e) => put({ ...node, timeout: num(e.detail.value, 10) })} />
                </FormField>
                <FormField label="Retries">
                  <Input type="number" value={String(node.maxRetries ?? 2)} onChange={(e) => put({ ...node, maxRetries: num(e.detail.value, 2) })} />
                </FormField>
              </ColumnLayout>
              <AudioInput label="Invalid-key prompt" value={node.invalidAudioUrl ?? ''} audio={audio} onChange={(v) => put({ ...node, invalidAudioUrl: v })} />
              <AudioInput label="Timeout prompt" value={node.timeoutAudioUrl ?? ''} audio={audio} onChange={(v) => put({ ...node, timeoutAudioUrl: v })} />
            </ColumnLayout>
            <Box variant="h4">Keys</Box>
            {Object.keys(node.options).length === 0 && <Box color="text-status-inactive">No key mapped yet.</Box>}
            {Object.entries(node.options)
              .sort(([a], [b]) => DTMF_KEYS.indexOf(a as never) - DTMF_KEYS.indexOf(b as never))
              .map(([key, o]) => (
                <SpaceBetween key={key} direction="horizontal" size="xs">
                  <Box variant="strong" padding={{ top: 'xxs' }}>{`Key ${key}`}</Box>
                  <OptionEditor flow={flow} menuId={node.id} option={o} label={`Key ${key}`} onChange={(x) => onFlow(setOption(flow, node.id, key, x))} />
                  <Button variant="icon" iconName="remove" ariaLabel={`Remove key ${key}`} onClick={() => onFlow(removeOption(flow, node.id, key))} />
                </SpaceBetween>
              ))}
            <SpaceBetween direction="horizontal" size="xs">
              <Select
                ariaLabel="Key to map"
                placeholder="Key"
                selectedOption={newKey}
                options={DTMF_KEYS.filter((k) => !(k in node.options)).map((k) => ({ value: k, label: k }))}
                onChange={(e) => setNewKey(e.detail.selectedOption)}
              />
              <Button
                disabled={!newKey?.value}
                onClick={() => {
                  if (!newKey?.value) return;
                  onFlow(setOption(flow, node.id, newKey.value, { action: { type: 'end_call' } }));
                  setNewKey(null);
                }}
              >
                Map key
              </Button>
            </SpaceBetween>
            <Box variant="h4">On silence (timeout) and after the last retry</Box>
            <OptionEditor
              flow={flow}
              menuId={node.id}
              option={node.onTimeout ?? {}}
              label="Timeout"
              onChange={(x) => put({ ...node, onTimeout: x })}
            />
            <Checkbox checked={node.repeatOnTimeout ?? false} onChange={(e) => put({ ...node, repeatOnTimeout: e.detail.checked || undefined })}>
              Silence asks again while retries last
            </Checkbox>
            <Box variant="small" color="text-body-secondary">
              An unmapped key plays the invalid-key prompt and asks again; after the retries the timeout path runs.
            </Box>
          </SpaceBetween>
        )}
      </SpaceBetween>
    </Container>
  );
}

/**
 * The IVR flow builder: a diagram (click a node to edit it), node editors, and validation by the
 * API (POST /api/ivr-flows/validate, the core's own rules) with every problem listed.
 */
export function FlowBuilder({
  flow,
  onChange,
  audio,
  disabled,
}: {
  flow: IvrFlow;
  onChange: (f: IvrFlow) => void;
  audio: string[];
  disabled?: boolean;
}) {
  const [selected, setSelected] = useState<string | null>(flow.startNodeId || null);
  const [type, setType] = useState<SelectProps.Option>({ value: 'menu', label: 'Menu (keys)' });
  const validate = useMutation({
    mutationFn: (f: IvrFlow) => must(api.POST('/api/ivr-flows/validate', { body: toApi(f) as unknown as Schemas['IvrFlow'] })),
  });
  const change = (f: IvrFlow) => {
    validate.reset();
    onChange(f);
  };
  const node = flow.nodes.find((n) => n.id === selected);
  const local = localProblems(flow);
  const apiProblems = validate.isError ? fieldProblems(validate.error) : [];

  return (
    <SpaceBetween size="m">
      <SpaceBetween direction="horizontal" size="xs">
        <Select
          ariaLabel="Node type"
          selectedOption={type}
          options={NODE_TYPES}
          onChange={(e) => setType(e.detail.selectedOption)}
          disabled={disabled}
        />
        <Button
          disabled={disabled}
          onClick={() => {
            const f = addNode(flow, type.value as NodeType);
            change(f);
            setSelected(f.nodes[f.nodes.length - 1]!.id);
          }}
        >
          Add node
        </Button>
        <Button disabled={disabled} loading={validate.isPending} onClick={() => validate.mutate(flow)}>
          Validate flow
        </Button>
        {validate.isSuccess && <StatusIndicator type="success">The API accepts this flow</StatusIndicator>}
      </SpaceBetween>
      <div style={{ overflowX: 'auto', border: '1px solid #e9ebed', borderRadius: 8, padding: 8 }}>
        <FlowDiagram flow={flow} selected={selected ?? undefined} onSelect={disabled ? undefined : setSelected} />
      </div>
      {local.length > 0 && (
        <Alert type="warning" header="Before saving">
          <ul>
            {local.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Alert>
      )}
      {validate.isError && (
        <Alert type="error" header="The API refuses this flow">
          {apiProblems.length ? (
            <ul>
              {apiProblems.map((p, i) => (
                <li key={i}>{p.field ? `${p.field}: ${p.message}` : p.message}</li>
              ))}
            </ul>
          ) : (
            describeError(validate.error)
          )}
        </Alert>
      )}
      {!disabled && node && <NodeEditor key={node.id} flow={flow} node={node} audio={audio} onFlow={change} onSelect={setSelected} />}
      {!disabled && !node && <Box color="text-body-secondary">Click a node in the diagram to edit it.</Box>}
    </SpaceBetween>
  );
}
