import { describe, expect, it } from '@jest/globals';
import { isTitleSearch, titleContainsPattern, TITLE_SEARCH_MAX } from './title-search.js';

describe('titleContainsPattern', () => {
  it.each([
    ['plain text', 'Roadmap', '%Roadmap%'],
    ['a percent sign', '100%', '%100\\%%'],
    ['an underscore', 'a_b', '%a\\_b%'],
    ['a backslash', 'C:\\temp', '%C:\\\\temp%'],
    ['all of them', '\\%_', '%\\\\\\%\\_%'],
  ])('escapes %s', (_case, q, pattern) => {
    expect(titleContainsPattern(q)).toBe(pattern);
  });
});

describe('isTitleSearch', () => {
  it('accepts 1 to 200 characters, spaces included', () => {
    expect(isTitleSearch('a')).toBe(true);
    expect(isTitleSearch(' ')).toBe(true);
    expect(isTitleSearch('x'.repeat(TITLE_SEARCH_MAX))).toBe(true);
  });

  it('counts characters (code points) as Postgres does, not UTF-16 units', () => {
    expect(isTitleSearch('😀'.repeat(TITLE_SEARCH_MAX))).toBe(true);
    expect(isTitleSearch('😀'.repeat(TITLE_SEARCH_MAX + 1))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['201 characters', 'x'.repeat(TITLE_SEARCH_MAX + 1)],
    ['a NUL', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['a lone surrogate', 'a\ud800'],
  ])('rejects %s', (_case, q) => {
    expect(isTitleSearch(q)).toBe(false);
  });
});
