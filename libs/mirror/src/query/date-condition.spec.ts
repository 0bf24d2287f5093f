import { describe, expect, it } from '@jest/globals';
import { dateRange, rangeSql } from './date-condition.js';
import { InvalidQueryError } from './query.errors.js';

// A Wednesday, mid-afternoon UTC.
const NOW = new Date('2026-03-11T15:30:00.000Z');
const at = (iso: string) => new Date(iso);
const range = (operator: string, value: unknown) => dateRange(operator, value, NOW, 'filter.date');

describe('dateRange (docs/queries.md, "Dates")', () => {
  it('a date-only operand covers its UTC day', () => {
    expect(range('equals', '2026-01-31')).toEqual({ from: at('2026-01-31T00:00:00Z'), to: at('2026-02-01T00:00:00Z') });
    expect(range('before', '2026-01-31')).toEqual({ to: at('2026-01-31T00:00:00Z') });
    expect(range('after', '2026-01-31')).toEqual({ from: at('2026-02-01T00:00:00Z') });
    expect(range('on_or_before', '2026-01-31')).toEqual({ to: at('2026-02-01T00:00:00Z') });
    expect(range('on_or_after', '2026-01-31')).toEqual({ from: at('2026-01-31T00:00:00Z') });
  });

  it('a date-time operand is exact; without an offset it is UTC', () => {
    expect(range('equals', '2026-01-31T10:00:00+02:00')).toEqual({ exact: at('2026-01-31T08:00:00Z') });
    expect(range('after', '2026-01-31T10:00')).toEqual({ after: at('2026-01-31T10:00:00Z') });
    expect(range('on_or_before', '2026-01-31T10:00:00.123Z')).toEqual({ upTo: at('2026-01-31T10:00:00.123Z') });
  });

  it('relative operands are UTC days from now', () => {
    expect(range('equals', 'today')).toEqual({ from: at('2026-03-11T00:00:00Z'), to: at('2026-03-12T00:00:00Z') });
    expect(range('before', 'one_week_ago')).toEqual({ to: at('2026-03-04T00:00:00Z') });
    expect(range('on_or_after', 'one_month_from_now')).toEqual({ from: at('2026-04-11T00:00:00Z') });
    expect(range('equals', 'yesterday').from).toEqual(at('2026-03-10T00:00:00Z'));
  });

  it('relative conditions: past and next windows through whole days, this week Monday to Sunday', () => {
    expect(range('past_week', {})).toEqual({ from: at('2026-03-04T00:00:00Z'), to: at('2026-03-12T00:00:00Z') });
    expect(range('next_week', {})).toEqual({ from: at('2026-03-11T00:00:00Z'), to: at('2026-03-19T00:00:00Z') });
    expect(range('this_week', {})).toEqual({ from: at('2026-03-09T00:00:00Z'), to: at('2026-03-16T00:00:00Z') });
    expect(range('past_month', {}).from).toEqual(at('2026-02-11T00:00:00Z'));
    expect(range('next_year', {}).to).toEqual(at('2027-03-12T00:00:00Z'));
  });

  it('a month step clamps to the end of a shorter month', () => {
    const march31 = new Date('2026-03-31T12:00:00Z');
    expect(dateRange('past_month', {}, march31, 'f').from).toEqual(at('2026-02-28T00:00:00Z'));
  });

  it('refuses malformed operands with the operand path', () => {
    for (const [operator, value] of [
      ['equals', '2026-02-30'],
      ['equals', 'March 7'],
      ['before', 42],
      ['after', '2026-1-5'],
      ['past_week', { days: 3 }],
      ['past_week', true],
    ] as const) {
      expect(() => range(operator, value)).toThrow(InvalidQueryError);
      try {
        range(operator, value);
      } catch (err) {
        expect((err as InvalidQueryError).problem.field).toBe('filter.date');
      }
    }
  });

  it('renders bounds as bound parameters, never as text', () => {
    const params: unknown[] = [];
    const sql = rangeSql('v.d', range('equals', '2026-01-31'), (v) => {
      params.push(v);
      return `$${params.length}`;
    });
    expect(sql).toBe('v.d >= $1::timestamptz AND v.d < $2::timestamptz');
    expect(params).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
  });
});
