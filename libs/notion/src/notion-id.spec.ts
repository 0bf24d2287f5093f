import { describe, expect, it } from '@jest/globals';
import { normalizeNotionId } from './notion-id.js';

const ID = '1c4f9e2a-7b3d-4e8f-9a01-23456789abcd';

describe('normalizeNotionId', () => {
  it.each([
    ['a dashed id', ID],
    ['an upper-case dashed id', ID.toUpperCase()],
    ['an id without dashes', ID.replace(/-/g, '')],
    ['an upper-case id without dashes', ID.replace(/-/g, '').toUpperCase()],
  ])('accepts %s', (_case, input) => {
    expect(normalizeNotionId(input)).toBe(ID);
  });

  it.each([
    ['too short', ID.slice(0, -1)],
    ['too long', `${ID}0`],
    ['not hex', ID.replace('1c', 'zz')],
    ['misplaced dashes', '1c4f9e2a7b3d-4e8f-9a01-23456789abcd'],
    ['surrounding spaces', ` ${ID} `],
    ['a URL', `https://www.notion.so/Task-${ID.replace(/-/g, '')}`],
    ['empty', ''],
  ])('rejects %s', (_case, input) => {
    expect(normalizeNotionId(input)).toBeUndefined();
  });
});
