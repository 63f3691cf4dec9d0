import { describe, expect, it } from 'vitest';
import { fileNameFrom } from './download';

describe('fileNameFrom', () => {
  it('GIVEN Content-Disposition forms THEN the named file, else the fallback', () => {
    expect(fileNameFrom('attachment; filename="report-c1.pdf"', 'x')).toBe('report-c1.pdf');
    expect(fileNameFrom("attachment; filename*=UTF-8''%D7%93%D7%95%D7%97.csv", 'x')).toBe('דוח.csv');
    expect(fileNameFrom('attachment; filename=plain.xlsx', 'x')).toBe('plain.xlsx');
    expect(fileNameFrom(null, 'fallback.pdf')).toBe('fallback.pdf');
    expect(fileNameFrom('inline', 'fallback.pdf')).toBe('fallback.pdf');
  });
});
