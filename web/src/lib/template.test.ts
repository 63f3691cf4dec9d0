import { describe, expect, it } from 'vitest';
import { contactVariables, parseTemplate, renderTemplate, templateVariables } from './template';

describe('template preview (port of core template rules)', () => {
  it('fills placeholders with and without spaces', () => {
    const p = renderTemplate('Hi {{ first_name }}, give at {{link}}. Thanks {{first_name}}!', {
      first_name: 'Dana',
      link: 'https://x.example/d',
    });
    expect(p).toEqual({ ok: true, text: 'Hi Dana, give at https://x.example/d. Thanks Dana!', variables: ['first_name', 'link'] });
  });

  it('keeps lone braces and a closing }} without opening as text', () => {
    expect(renderTemplate('a { b } c }} d', {})).toEqual({ ok: true, text: 'a { b } c }} d', variables: [] });
    expect(renderTemplate('', {})).toEqual({ ok: true, text: '', variables: [] });
  });

  it('accepts dots and dashes in names and keeps Hebrew text', () => {
    expect(templateVariables('שלום {{contact.first-name}}')).toEqual(['contact.first-name']);
    expect(renderTemplate('שלום {{contact.first-name}}', { 'contact.first-name': 'דנה' })).toMatchObject({ ok: true, text: 'שלום דנה' });
  });

  it('reports an unclosed {{ at its UTF-8 byte offset, as the core does', () => {
    // "שלום " is 4 Hebrew letters (2 bytes each) + a space = 9 bytes
    const p = parseTemplate('שלום {{name');
    expect(p).toEqual({ error: { kind: 'unclosed', at: 9, message: 'unclosed placeholder starting at byte 9' } });
  });

  it('refuses an empty or invalid name', () => {
    expect(parseTemplate('x {{ }} y')).toMatchObject({ error: { kind: 'bad_name', at: 2 } });
    expect(parseTemplate('{{first name}}')).toMatchObject({ error: { kind: 'bad_name', at: 0 } });
  });

  it('refuses a missing, empty or whitespace-only value (never sends a blank)', () => {
    expect(renderTemplate('Hi {{a}} {{b}}', { b: 'x' })).toMatchObject({ ok: false, error: { kind: 'missing', name: 'a' } });
    expect(renderTemplate('Hi {{a}}', { a: '' })).toMatchObject({ ok: false, error: { message: 'missing value for variable "a"' } });
    expect(renderTemplate('Hi {{a}}', { a: '   ' })).toMatchObject({ ok: false, error: { kind: 'missing' } });
  });

  it('does not parse inserted values again', () => {
    expect(renderTemplate('{{a}}', { a: '{{b}}' })).toMatchObject({ ok: true, text: '{{b}}' });
  });

  it('offers a contact\'s metadata plus phone and campaign', () => {
    expect(contactVariables({ phone: '+972501234567', metadata: { first_name: 'דנה' } }, 'Spring')).toEqual({
      first_name: 'דנה',
      phone: '+972501234567',
      campaign: 'Spring',
    });
  });
});
