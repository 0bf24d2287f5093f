import { describe, expect, it } from '@jest/globals';
import { normalizeProjectName, PROJECT_NAME_MAX } from './project.js';

describe('normalizeProjectName', () => {
  it('trims, and counts characters (code points) as Postgres does, not UTF-16 units', () => {
    expect(normalizeProjectName('  Roadmap  ')).toBe('Roadmap');
    expect(normalizeProjectName('😀'.repeat(PROJECT_NAME_MAX))).toBe('😀'.repeat(PROJECT_NAME_MAX));
    expect(normalizeProjectName('x'.repeat(PROJECT_NAME_MAX))).toBeDefined();
    expect(normalizeProjectName('😀'.repeat(PROJECT_NAME_MAX + 1))).toBeUndefined();
    expect(normalizeProjectName('x'.repeat(PROJECT_NAME_MAX + 1))).toBeUndefined();
    // At most 100 as sent, too (the documented maxLength), not only once trimmed.
    expect(normalizeProjectName(` ${'x'.repeat(PROJECT_NAME_MAX)}`)).toBeUndefined();
  });

  it.each([
    ['accented letters', 'Café Déjà-vu'],
    ['Hebrew with a right-to-left mark before digits', 'תוכנית\u200f 2026'],
    ['an emoji family (zero-width joiners)', '👨\u200d👩\u200d👧 Family'],
    ['a combining accent', 'Cafe\u0301'],
    ['a symbol alone', '★'],
    ['CJK', '路线图'],
  ])('accepts %s', (_case, name) => {
    expect(normalizeProjectName(name)).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['spaces only', '   '],
    ['no-break and ideographic spaces', '\u00a0\u3000'],
    ['zero-width spaces', '\u200b\u200b'],
    ['a zero-width joiner and word joiner', '\u200d\u2060'],
    ['a byte-order mark', '\ufeff'],
    ['Hangul fillers', '\u3164\u115f'],
    ['the blank braille pattern', '\u2800\u2800'],
    ['bidi marks only', '\u200e\u200f'],
    ['combining marks alone', '\u0301\u0302'],
    ['a NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a C1 control', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a right-to-left override', 'invoice\u202egpj.exe'],
    ['a left-to-right embedding', '\u202aName\u202c'],
    ['a first-strong isolate', 'Name\u2068x\u2069'],
    ['a lone surrogate', 'Name\ud800'],
  ])('refuses %s', (_case, name) => {
    expect(normalizeProjectName(name)).toBeUndefined();
  });
});
