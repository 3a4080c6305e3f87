import { describe, expect, it } from 'vitest';
import { formatBytes, formatUsd, parseSize } from './size.js';

describe('parseSize', () => {
  it('reads bytes and decimal and binary units', () => {
    expect(parseSize('8')).toBe(8);
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('16MB')).toBe(16_000_000);
    expect(parseSize('1.5 GiB')).toBe(1_610_612_736);
    expect(parseSize('4k')).toBe(4096);
    expect(parseSize('0')).toBe(0);
  });

  it('rejects what is not a whole number of bytes', () => {
    expect(() => parseSize('1.5')).toThrow(/not a whole number/);
    expect(() => parseSize('-1')).toThrow(/not a size/);
    expect(() => parseSize('12 parsecs')).toThrow(/not a size/);
    expect(() => parseSize('')).toThrow(/not a size/);
  });
});

describe('formatBytes and formatUsd', () => {
  it('print sizes and prices people can read', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_048_576)).toBe('1.00 MiB');
    expect(formatBytes(16_000_000)).toBe('15.3 MiB');
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(0.00000452)).toBe('$0.00000452');
    expect(formatUsd(1.5e-10)).toBe('$1.50e-10');
    expect(formatUsd(2)).toBe('$2.0000');
  });
});
