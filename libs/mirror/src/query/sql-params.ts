/** Collects bind parameters while SQL text is built: every value reaches SQL as `$n`, never as text. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** The placeholder for `value`, with an optional cast (`::text[]`). */
  bind(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}
