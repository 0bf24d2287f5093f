import { describe, expect, it } from '@jest/globals';
import { plainValues } from './page-values.js';

const text = (content: string) => ({ type: 'text', text: { content }, plain_text: content });
const USER = '2b1c3d4e-0000-4000-8000-000000000001';
const PAGE = '3c1c3d4e-0000-4000-8000-000000000002';

describe('plainValues', () => {
  it('maps every documented type to its plain value and cells, keyed by property id', () => {
    const { values, cells } = plainValues({
      Name: { id: 'title', type: 'title', title: [text('Hello '), text('world')] },
      Notes: { id: 'rt', type: 'rich_text', rich_text: [] },
      Site: { id: 'u', type: 'url', url: 'https://example.com' },
      Mail: { id: 'e', type: 'email', email: null },
      Phone: { id: 'ph', type: 'phone_number', phone_number: '+33 1' },
      Price: { id: 'n', type: 'number', number: 12.5 },
      Done: { id: 'c', type: 'checkbox', checkbox: false },
      Kind: { id: 's', type: 'select', select: { id: 'x', name: 'Blog', color: 'red' } },
      State: { id: 'st', type: 'status', status: null },
      Tags: { id: 'm', type: 'multi_select', multi_select: [{ name: 'a' }, { name: 'b' }] },
      Due: { id: 'd', type: 'date', date: { start: '2026-01-31', end: null, time_zone: null } },
      At: {
        id: 'd2',
        type: 'date',
        date: { start: '2026-01-31T10:00:00.000+02:00', end: '2026-02-01', time_zone: null },
      },
      Who: {
        id: 'pp',
        type: 'people',
        people: [
          { object: 'user', id: USER.replace(/-/g, ''), name: 'Ada' },
          { object: 'user', id: USER },
        ],
      },
      Rel: { id: 'r', type: 'relation', relation: [{ id: PAGE }] },
      Files: {
        id: 'f',
        type: 'files',
        files: [{ name: 'a.png', type: 'file', file: { url: 'https://s3/a', expiry_time: 'x' } }],
      },
      Created: { id: 'ct', type: 'created_time', created_time: '2026-01-01T00:00:00.000Z' },
      Author: { id: 'cb', type: 'created_by', created_by: { object: 'user', id: USER } },
      Task: { id: 'ui', type: 'unique_id', unique_id: { prefix: 'TASK', number: 12 } },
      Num: { id: 'ui2', type: 'unique_id', unique_id: { prefix: null, number: 7 } },
      Check: { id: 'v', type: 'verification', verification: { state: 'verified', date: null, verified_by: null } },
      F1: { id: 'f1', type: 'formula', formula: { type: 'string', string: 'abc' } },
      F2: { id: 'f2', type: 'formula', formula: { type: 'number', number: 3 } },
      F3: { id: 'f3', type: 'formula', formula: { type: 'boolean', boolean: true } },
      F4: {
        id: 'f4',
        type: 'formula',
        formula: { type: 'date', date: { start: '2026-03-01', end: null, time_zone: null } },
      },
      R1: { id: 'r1', type: 'rollup', rollup: { type: 'number', number: 9, function: 'sum' } },
      R2: {
        id: 'r2',
        type: 'rollup',
        rollup: {
          type: 'array',
          function: 'show_original',
          array: [
            { type: 'number', number: 1 },
            { type: 'select', select: { name: 'X' } },
          ],
        },
      },
    });
    expect(values).toEqual({
      title: 'Hello world',
      rt: '',
      u: 'https://example.com',
      e: null,
      ph: '+33 1',
      n: 12.5,
      c: false,
      s: 'Blog',
      st: null,
      m: ['a', 'b'],
      d: { start: '2026-01-31', end: null, timeZone: null },
      d2: { start: '2026-01-31T10:00:00.000+02:00', end: '2026-02-01', timeZone: null },
      pp: [
        { id: USER, name: 'Ada' },
        { id: USER, name: null },
      ],
      r: [PAGE],
      f: [{ name: 'a.png', url: 'https://s3/a' }],
      ct: '2026-01-01T00:00:00.000Z',
      cb: { id: USER, name: null },
      ui: 'TASK-12',
      ui2: '7',
      v: 'verified',
      f1: 'abc',
      f2: 3,
      f3: true,
      f4: { start: '2026-03-01', end: null, timeZone: null },
      r1: 9,
      r2: [1, 'X'],
    });
    const byProperty = (p: string) => cells.filter((c) => c.p === p).map(({ p: _p, k: _k, ...rest }) => rest);
    expect(cells.find((c) => c.p === 'title')?.k).toBe('hello world');
    expect(byProperty('title')).toEqual([{ o: 0, t: 'Hello world' }]);
    // Empty values have no cells; a checkbox always has one.
    expect(byProperty('rt')).toEqual([]);
    expect(byProperty('e')).toEqual([]);
    expect(byProperty('st')).toEqual([]);
    expect(byProperty('c')).toEqual([{ o: 0, b: false }]);
    expect(byProperty('m')).toEqual([
      { o: 0, t: 'a' },
      { o: 1, t: 'b' },
    ]);
    expect(byProperty('d')).toEqual([{ o: 0, d: '2026-01-31T00:00:00.000Z' }]);
    expect(byProperty('d2')).toEqual([{ o: 0, d: '2026-01-31T08:00:00.000Z' }]);
    expect(byProperty('pp')).toEqual([
      { o: 0, t: USER },
      { o: 1, t: USER },
    ]);
    expect(byProperty('ct')).toEqual([]);
    expect(byProperty('ui')).toEqual([{ o: 0, t: 'TASK-12', n: 12 }]);
    expect(byProperty('f3')).toEqual([{ o: 0, b: true }]);
    expect(byProperty('r2')).toEqual([
      { o: 0, n: 1 },
      { o: 1, t: 'X' },
    ]);
  });

  it('keeps an unknown or future type raw, with no cells, and is never an error', () => {
    const place = { id: 'pl', type: 'place', place: { lat: 1, lon: 2 } };
    const future = { id: 'zz', type: 'hologram', hologram: { depth: 3 } };
    const { values, cells } = plainValues({ Where: place, Holo: future, Broken: { type: 'number' }, Odd: 3 });
    expect(values).toEqual({ pl: place, zz: future });
    expect(cells).toEqual([]);
  });

  it('keys by id, so a renamed property maps to the same key', () => {
    const before = plainValues({ Status: { id: 's', type: 'select', select: { name: 'Done' } } });
    const after = plainValues({ State: { id: 's', type: 'select', select: { name: 'Done' } } });
    expect(after).toEqual(before);
  });
});
