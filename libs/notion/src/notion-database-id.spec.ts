import { describe, expect, it } from '@jest/globals';
import { normalizeNotionDatabaseId } from './notion-database-id.js';

const ID = '2f26ee68-df30-4251-aad4-8ddc420cba3d';

describe('normalizeNotionDatabaseId', () => {
  it.each([
    ['a dashed id', ID],
    ['an upper-case dashed id', ID.toUpperCase()],
    ['an id without dashes', ID.replace(/-/g, '')],
    [
      'a database URL with a title and a view',
      `https://www.notion.so/acme/My-Tasks-${ID.replace(/-/g, '')}?v=0123456789abcdef0123456789abcdef`,
    ],
    ['a database URL without a title', `https://www.notion.so/${ID.replace(/-/g, '')}`],
    ['a URL with a dashed id', `https://notion.so/acme/${ID}`],
    ['a notion.site URL', `https://acme.notion.site/Roadmap-${ID.replace(/-/g, '')}`],
  ])('accepts %s', (_case, input) => {
    expect(normalizeNotionDatabaseId(input)).toBe(ID);
  });

  it.each([
    ['too short', ID.slice(0, -1)],
    ['not hex', ID.replace('2f', 'zz')],
    ['misplaced dashes', '2f26ee68df30-4251-aad4-8ddc420cba3d'],
    ['another host', `https://evil.example/${ID.replace(/-/g, '')}`],
    ['a URL with no id', 'https://www.notion.so/acme/My-Tasks'],
    ['empty', ''],
  ])('rejects %s', (_case, input) => {
    expect(normalizeNotionDatabaseId(input)).toBeUndefined();
  });
});
