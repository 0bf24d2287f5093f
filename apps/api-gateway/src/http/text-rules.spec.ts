import { describe, expect, it } from '@jest/globals';
import { decimalAtMostPattern, NOTION_SECRET_PATTERN, UUID_PATTERN } from './text-rules.js';

describe('decimalAtMostPattern', () => {
  const MAX = 9223372036854775807n;
  const pattern = decimalAtMostPattern(MAX);

  it('matches exactly the decimals from 0 to the bound, leading zeros allowed', () => {
    for (const text of ['0', '7', '007', '1'.repeat(18), '9'.repeat(18), '0'.repeat(19), MAX.toString()]) {
      expect(`${text}: ${pattern.test(text)}`).toBe(`${text}: true`);
    }
    for (const text of ['', '-1', '1.0', ' 1', '1e3', (MAX + 1n).toString(), '9'.repeat(19), '0'.repeat(20)]) {
      expect(`${text}: ${pattern.test(text)}`).toBe(`${text}: false`);
    }
  });

  it('agrees with BigInt comparison around every digit of the bound', () => {
    const digits = MAX.toString();
    for (let i = 0; i < digits.length; i++) {
      for (let d = 0; d <= 9; d++) {
        const text = `${digits.slice(0, i)}${d}${'9'.repeat(digits.length - i - 1)}`;
        const alt = `${digits.slice(0, i)}${d}${'0'.repeat(digits.length - i - 1)}`;
        for (const candidate of [text, alt]) {
          expect(`${candidate}: ${pattern.test(candidate)}`).toBe(`${candidate}: ${BigInt(candidate) <= MAX}`);
        }
      }
    }
  });

  it('handles small bounds and zeros in the bound', () => {
    const upTo105 = decimalAtMostPattern(105n);
    for (let n = 0; n <= 200; n++) expect(upTo105.test(String(n))).toBe(n <= 105);
    expect(decimalAtMostPattern(0n).test('0')).toBe(true);
    expect(decimalAtMostPattern(0n).test('1')).toBe(false);
  });
});

describe('NOTION_SECRET_PATTERN', () => {
  it.each(['secret_abcDEF0123456789', 'ntn_4b1XyZ', 'a-b.c_d~e+f/g==', 'x'])('accepts %j', (token) => {
    expect(NOTION_SECRET_PATTERN.test(token)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a CR', 'ntn_a\rb'],
    ['an LF', 'ntn_a\nb'],
    ['a NUL', 'ntn_a\u0000b'],
    ['a tab', 'ntn_a\tb'],
    ['a space', 'ntn_a b'],
    ['a DEL', 'ntn_a\u007fb'],
    ['an emoji', 'ntn_a😀'],
    ['a zero-width space', 'ntn_a\u200b'],
    ['a Latin-1 letter', 'ntn_é'],
    ['padding in the middle', 'ab=cd'],
    ['a quote', 'ntn_"x"'],
  ])('refuses %s', (_case, token) => {
    expect(NOTION_SECRET_PATTERN.test(token)).toBe(false);
  });
});

describe('UUID_PATTERN', () => {
  it('accepts any 8-4-4-4-12 hex UUID, whatever its version or variant (format: uuid)', () => {
    expect(UUID_PATTERN.test('2f26ee68-df30-4251-aad4-8ddc420cba3d')).toBe(true);
    expect(UUID_PATTERN.test('2F26EE68-DF30-0251-0AD4-8DDC420CBA3D')).toBe(true);
    expect(UUID_PATTERN.test('2f26ee68df304251aad48ddc420cba3d')).toBe(false);
    expect(UUID_PATTERN.test('2f26ee68-df30-4251-aad4-8ddc420cba3d ')).toBe(false);
  });
});
