// A TypeScript port of the core's template rules (shared/core/src/template.rs, README "Templates"),
// for the wizard's live preview. `{{name}}` or `{{ name }}`, names of A-Z a-z 0-9 _ . -;
// an unclosed `{{` or a bad name is an error at its byte offset; a lone `{`/`}` is text;
// a variable that is absent, empty or only whitespace is an error (never a blank).

export type TemplateError =
  | { kind: 'unclosed'; at: number; message: string }
  | { kind: 'bad_name'; at: number; message: string }
  | { kind: 'missing'; name: string; message: string };

type Part = { text: string } | { name: string };

const encoder = new TextEncoder();
/** The core counts UTF-8 bytes; JS strings count UTF-16 units. */
const byteOffset = (s: string, index: number) => encoder.encode(s.slice(0, index)).length;
const NAME = /^[A-Za-z0-9_.-]+$/;

export function parseTemplate(source: string): { parts: Part[] } | { error: TemplateError } {
  const parts: Part[] = [];
  let pos = 0;
  for (;;) {
    const open = source.indexOf('{{', pos);
    if (open < 0) break;
    const close = source.indexOf('}}', open + 2);
    if (close < 0) {
      const at = byteOffset(source, open);
      return { error: { kind: 'unclosed', at, message: `unclosed placeholder starting at byte ${at}` } };
    }
    const name = source.slice(open + 2, close).trim();
    if (name === '' || !NAME.test(name)) {
      const at = byteOffset(source, open);
      return { error: { kind: 'bad_name', at, message: `empty or invalid placeholder name at byte ${at}` } };
    }
    if (open > pos) parts.push({ text: source.slice(pos, open) });
    parts.push({ name });
    pos = close + 2;
  }
  if (pos < source.length) parts.push({ text: source.slice(pos) });
  return { parts };
}

/** The variable names used, in order of first appearance ([] when the template does not parse). */
export function templateVariables(source: string): string[] {
  const parsed = parseTemplate(source);
  if ('error' in parsed) return [];
  const out: string[] = [];
  for (const p of parsed.parts) if ('name' in p && !out.includes(p.name)) out.push(p.name);
  return out;
}

export type Preview = { ok: true; text: string; variables: string[] } | { ok: false; error: TemplateError; variables: string[] };

/** Renders like the core: the first variable without a (non-blank) value is the error. */
export function renderTemplate(source: string, vars: Readonly<Record<string, string | undefined>>): Preview {
  const parsed = parseTemplate(source);
  if ('error' in parsed) return { ok: false, error: parsed.error, variables: [] };
  const variables = templateVariables(source);
  let text = '';
  for (const p of parsed.parts) {
    if ('text' in p) {
      text += p.text;
      continue;
    }
    const v = vars[p.name];
    if (v === undefined || v.trim() === '') {
      return { ok: false, error: { kind: 'missing', name: p.name, message: `missing value for variable "${p.name}"` }, variables };
    }
    text += v;
  }
  return { ok: true, text, variables };
}

/** The variables a contact offers a template: its metadata columns plus `phone` and `campaign`. */
export function contactVariables(
  contact: { phone?: string; metadata?: Record<string, string> } | undefined,
  campaignName: string,
): Record<string, string> {
  return { ...(contact?.metadata ?? {}), ...(contact?.phone ? { phone: contact.phone } : {}), campaign: campaignName };
}
