import { describe, expect, it } from 'vitest';
import { encodeWav, mixDown } from './wav';

describe('encodeWav', () => {
  it('GIVEN three samples THEN a RIFF/WAVE PCM 16-bit mono header and the clipped little-endian samples', () => {
    const b = encodeWav(new Float32Array([0, 1, -2]), 8000);
    const v = new DataView(b.buffer);
    const text = (o: number, n: number) => String.fromCharCode(...b.slice(o, o + n));
    expect(text(0, 4)).toBe('RIFF');
    expect(text(8, 4)).toBe('WAVE');
    expect(v.getUint32(4, true)).toBe(36 + 6);
    expect(v.getUint16(20, true)).toBe(1);
    expect(v.getUint16(22, true)).toBe(1);
    expect(v.getUint32(24, true)).toBe(8000);
    expect(v.getUint16(34, true)).toBe(16);
    expect(v.getUint32(40, true)).toBe(6);
    expect([v.getInt16(44, true), v.getInt16(46, true), v.getInt16(48, true)]).toEqual([0, 32767, -32768]);
  });
  it('GIVEN two channels THEN their average', () => {
    expect([...mixDown([new Float32Array([1, 0]), new Float32Array([0, 0.5])])]).toEqual([0.5, 0.25]);
  });
});
