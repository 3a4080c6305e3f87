/** One column of a fixed-width text table. */
export interface Column {
  readonly title: string;
  readonly width: number;
  /** Digits after the decimal point for numbers (default 0). */
  readonly digits?: number;
}

/**
 * A fixed-width text table printed line by line as epochs finish, so a long run shows progress
 * instead of one block at the end.
 */
export class Table {
  constructor(private readonly columns: readonly Column[]) {}

  header(): string {
    return this.columns.map((c) => c.title.padStart(c.width)).join('  ');
  }

  row(values: readonly (number | string)[]): string {
    if (values.length !== this.columns.length) throw new RangeError(`row has ${values.length} values for ${this.columns.length} columns`);
    return this.columns
      .map((c, i) => (typeof values[i] === 'number' ? (values[i] as number).toFixed(c.digits ?? 0) : String(values[i])).padStart(c.width))
      .join('  ');
  }
}
