import { invalid } from './query.errors.js';

/**
 * Notion's date conditions as half-open instant ranges, per docs/queries.md
 * ("Dates"): a date-only operand covers its UTC day, a date-time operand is
 * compared exactly, relative operands and conditions are UTC days from `now`.
 */

const DAY_MS = 86_400_000;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const HAS_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/;

/** Bounds of a date condition: `from` inclusive, `to` exclusive; `exact` for equality with an instant. */
export interface DateRange {
  readonly from?: Date;
  readonly to?: Date;
  /** Strict lower bound (`after` a date-time). */
  readonly after?: Date;
  /** Inclusive upper bound (`on_or_before` a date-time). */
  readonly upTo?: Date;
  readonly exact?: Date;
}

const COMPARISONS = new Set(['equals', 'before', 'after', 'on_or_before', 'on_or_after']);
const RELATIVE_VALUES: Record<string, (today: Date) => Date> = {
  today: (d) => d,
  tomorrow: (d) => addDays(d, 1),
  yesterday: (d) => addDays(d, -1),
  one_week_ago: (d) => addDays(d, -7),
  one_week_from_now: (d) => addDays(d, 7),
  one_month_ago: (d) => addMonths(d, -1),
  one_month_from_now: (d) => addMonths(d, 1),
};
const RELATIVE_CONDITIONS = new Set([
  'this_week',
  'past_week',
  'past_month',
  'past_year',
  'next_week',
  'next_month',
  'next_year',
]);

/** The operators a date-like property accepts (besides `is_empty` / `is_not_empty`). */
export const DATE_OPERATORS: ReadonlySet<string> = new Set([...COMPARISONS, ...RELATIVE_CONDITIONS]);

const addDays = (d: Date, days: number) => new Date(d.getTime() + days * DAY_MS);

function addMonths(d: Date, months: number): Date {
  const out = new Date(d);
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  // 31 January + 1 month: the last day of February, as calendars do.
  const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, last));
  return out;
}

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/** A date operand: a UTC day (date-only or relative) or an instant. */
type Operand = { readonly day: Date } | { readonly at: Date };

function operand(value: unknown, now: Date, path: string): Operand {
  if (typeof value !== 'string') throw invalid(path, 'must be an ISO 8601 date or date-time, or a relative date');
  const relative = RELATIVE_VALUES[value];
  if (relative) return { day: relative(startOfUtcDay(now)) };
  const dateOnly = DATE_ONLY.exec(value);
  if (dateOnly) {
    const day = new Date(`${value}T00:00:00.000Z`);
    // 2026-02-30 parses in JavaScript as March 2nd: refuse it instead.
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value)
      throw invalid(path, `${JSON.stringify(value)} is not a valid date`);
    return { day };
  }
  if (DATE_TIME.test(value)) {
    const at = new Date(HAS_OFFSET.test(value) ? value : `${value}Z`);
    if (!Number.isNaN(at.getTime())) return { at };
  }
  throw invalid(
    path,
    `${JSON.stringify(value)} is not an ISO 8601 date (2026-01-31), date-time (2026-01-31T10:00:00Z) or relative date (today, one_week_ago, …)`,
  );
}

/** The range one date condition (`operator: value`) covers. */
export function dateRange(operator: string, value: unknown, now: Date, path: string): DateRange {
  if (RELATIVE_CONDITIONS.has(operator)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length > 0)
      throw invalid(path, 'must be an empty object {}');
    const today = startOfUtcDay(now);
    const tomorrow = addDays(today, 1);
    switch (operator) {
      case 'this_week': {
        const monday = addDays(today, -((today.getUTCDay() + 6) % 7));
        return { from: monday, to: addDays(monday, 7) };
      }
      case 'past_week':
        return { from: addDays(today, -7), to: tomorrow };
      case 'past_month':
        return { from: addMonths(today, -1), to: tomorrow };
      case 'past_year':
        return { from: addMonths(today, -12), to: tomorrow };
      case 'next_week':
        return { from: today, to: addDays(today, 8) };
      case 'next_month':
        return { from: today, to: addDays(addMonths(today, 1), 1) };
      default:
        return { from: today, to: addDays(addMonths(today, 12), 1) };
    }
  }
  const o = operand(value, now, path);
  if ('day' in o) {
    const next = addDays(o.day, 1);
    switch (operator) {
      case 'equals':
        return { from: o.day, to: next };
      case 'before':
        return { to: o.day };
      case 'after':
        return { from: next };
      case 'on_or_before':
        return { to: next };
      default:
        return { from: o.day };
    }
  }
  switch (operator) {
    case 'equals':
      return { exact: o.at };
    case 'before':
      return { to: o.at };
    case 'after':
      return { after: o.at };
    case 'on_or_before':
      return { upTo: o.at };
    default:
      return { from: o.at };
  }
}

/** SQL comparing `column` with a range; bounds are bound as parameters by `bind`. */
export function rangeSql(column: string, range: DateRange, bind: (value: unknown) => string): string {
  const parts: string[] = [];
  if (range.exact) parts.push(`${column} = ${bind(range.exact.toISOString())}::timestamptz`);
  if (range.from) parts.push(`${column} >= ${bind(range.from.toISOString())}::timestamptz`);
  if (range.after) parts.push(`${column} > ${bind(range.after.toISOString())}::timestamptz`);
  if (range.to) parts.push(`${column} < ${bind(range.to.toISOString())}::timestamptz`);
  if (range.upTo) parts.push(`${column} <= ${bind(range.upTo.toISOString())}::timestamptz`);
  return parts.join(' AND ');
}
