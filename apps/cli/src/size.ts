const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/**
 * A byte count as people write it: `8`, `64KiB`, `1MiB`, `16MB`, `1.5 GiB`. KB/MB/GB are decimal,
 * KiB/MiB/GiB (and the bare K/M/G of `dd`) binary. The result is a whole number of bytes.
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`"${text}" is not a size — use bytes or a unit: 8, 64KiB, 1MiB, 16MB`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isInteger(bytes) || bytes > Number.MAX_SAFE_INTEGER) throw new Error(`"${text}" is not a whole number of bytes`);
  return bytes;
}

/** `1.5 MiB`, `512 B`: binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/** `0.42 ms`, `12.3 ms`, `2.31 s`. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** US dollars with enough digits to tell tiny amounts apart: `$0.00000123`, `$1.23e-9`. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 1e-8) return `$${usd.toExponential(2)}`;
  if (usd < 0.01) return `$${usd.toPrecision(3)}`;
  return `$${usd.toFixed(4)}`;
}

/** `12,345`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
