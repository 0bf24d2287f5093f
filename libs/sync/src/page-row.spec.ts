import { describe, expect, it } from '@jest/globals';
import type { PageObjectResponse } from '@notionhq/client';
import { isInDatabase } from './page-row.js';

const DB = '2f26ee68-df30-4251-aad4-8ddc420cba3d';
const pageUnder = (parent: Record<string, string>) => ({ parent }) as unknown as PageObjectResponse;

describe('isInDatabase', () => {
  it('matches the database however Notion spells its id (dashes, case)', () => {
    for (const id of [DB, DB.replace(/-/g, ''), DB.toUpperCase()]) {
      expect(isInDatabase(pageUnder({ type: 'data_source_id', data_source_id: 'x', database_id: id }), DB)).toBe(true);
      expect(isInDatabase(pageUnder({ type: 'database_id', database_id: id }), DB.replace(/-/g, ''))).toBe(true);
    }
  });

  it('refuses another database, a page parent, and a malformed id', () => {
    expect(isInDatabase(pageUnder({ type: 'database_id', database_id: DB.replace('3d', '3e') }), DB)).toBe(false);
    expect(isInDatabase(pageUnder({ type: 'page_id', page_id: DB }), DB)).toBe(false);
    expect(isInDatabase(pageUnder({ type: 'database_id', database_id: 'not-an-id' }), DB)).toBe(false);
  });
});
