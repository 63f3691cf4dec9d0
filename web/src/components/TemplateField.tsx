import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Textarea from '@cloudscape-design/components/textarea';
import { renderTemplate } from '../lib/template';

/** A template text with its live preview, filled from the sample contact's fields (same rules as the core). */
export function TemplateField(props: {
  label: string;
  description: string;
  value: string;
  onChange: (v: string) => void;
  sample: Record<string, string>;
  errorText?: string;
  required?: boolean;
}) {
  const preview = props.value.trim() === '' ? null : renderTemplate(props.value, props.sample);
  const syntaxError = preview && !preview.ok && preview.error.kind !== 'missing' ? preview.error.message : undefined;
  return (
    <FormField label={props.label} description={props.description} errorText={props.errorText ?? syntaxError} stretch>
      <Textarea
        value={props.value}
        onChange={(e) => props.onChange(e.detail.value)}
        rows={3}
        spellcheck
        ariaLabel={props.label}
        placeholder={props.required ? 'Required' : 'Optional'}
      />
      {preview && (
        <div style={{ marginTop: 8 }}>
          <Box variant="awsui-key-label">Preview</Box>
          {preview.ok ? (
            <div dir="auto" style={{ whiteSpace: 'pre-wrap', padding: '6px 10px', background: '#f2f8fd', borderRadius: 6 }}>
              {preview.text}
            </div>
          ) : (
            <StatusIndicator type={preview.error.kind === 'missing' ? 'warning' : 'error'}>
              {preview.error.kind === 'missing'
                ? `${preview.error.message}: the sample contact has no value; a contact without one gets no message (recorded as failed).`
                : preview.error.message}
            </StatusIndicator>
          )}
          {preview.variables.length > 0 && (
            <Box variant="small" color="text-body-secondary">
              Variables: {preview.variables.join(', ')}
            </Box>
          )}
        </div>
      )}
    </FormField>
  );
}
