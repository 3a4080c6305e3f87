/**
 * A plain-text table: a header, a rule, rows; numbers right-aligned. Columns are as wide as their
 * widest cell. `align` gives 'l' or 'r' per column; by default a column is right-aligned when all its
 * cells look numeric.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = /^[-+$]?[\d.,]+(e[-+]?\d+)?\s*[A-Za-z/%µ×]*$/;
  const sides = headers.map((_, c) => align?.[c] ?? (rows.length > 0 && rows.every((r) => numeric.test(r[c] ?? '') || r[c] === '-') ? 'r' : 'l'));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (sides[c] === 'r' ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
