import { type ConformanceTarget, runConformance } from '@fmi/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS, type MatrixColumn } from './columns.js';

/**
 * Registers the conformance suite for every column of one family. Availability is checked at
 * collection time (top-level await in the test file), so an unavailable column is one skipped test
 * whose name says why, never a silent gap.
 */
export async function runColumns(family: string, overrides: Partial<Pick<ConformanceTarget, 'sizes' | 'bigSizes' | 'timeoutMs'>> = {}): Promise<void> {
  const columns = COLUMNS.filter((c) => c.family === family);
  if (columns.length === 0) throw new Error(`[matrix] no column in family "${family}"`);
  for (const column of columns) await register(column, overrides);
}

async function register(column: MatrixColumn, overrides: Partial<ConformanceTarget>): Promise<void> {
  const available = await column.available();
  if (available !== true) {
    describe(`matrix: ${column.name}`, () => {
      it.skip(`${column.name} — skipped: ${available}`, () => {});
    });
    return;
  }
  const target = await column.target();
  describe(`matrix: ${column.name}`, () => {
    runConformance(
      { describe, it, expect, beforeAll, afterAll },
      { ...target, ...overrides, createEndpoints: target.createEndpoints, leftovers: target.leftovers, kill: target.kill },
      column.parts ? { only: column.parts } : {},
    );
  });
}
