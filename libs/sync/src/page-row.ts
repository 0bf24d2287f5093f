import type { PageObjectResponse } from '@notionhq/client';
import { normalizeNotionId, richTextPlain, stripPageFiles } from '@app/notion';
import type { MirrorRow } from './mirror-row.js';

/** Property types whose lists the page object cuts at 25 entries. */
const LIST_TYPES = new Set(['title', 'rich_text', 'relation', 'people']);
export const PAGE_LIST_LIMIT = 25;

type PropertyValue = { id: string; type: string; has_more?: boolean } & Record<string, unknown>;

/**
 * Properties whose values the page object may have cut short: a relation says
 * so (`has_more`); title, rich text and people do not, so a list of exactly 25
 * is fetched whole to be sure (rarely needed, one request).
 */
export function truncatedProperties(page: PageObjectResponse): Array<{ name: string; id: string; type: string }> {
  const out: Array<{ name: string; id: string; type: string }> = [];
  for (const [name, raw] of Object.entries(page.properties)) {
    const value = raw as unknown as PropertyValue;
    if (!LIST_TYPES.has(value.type)) continue;
    const list = value[value.type];
    if (value.has_more === true || (Array.isArray(list) && list.length >= PAGE_LIST_LIMIT)) {
      out.push({ name, id: value.id, type: value.type });
    }
  }
  return out;
}

/** The plain text of the page's title property. */
export function titleOf(properties: Record<string, unknown>): string {
  for (const raw of Object.values(properties)) {
    const value = raw as PropertyValue;
    if (value.type === 'title') return richTextPlain(value.title);
  }
  return '';
}

/** Is the page a row of this database (any of its data sources)? */
export function isInDatabase(page: PageObjectResponse, databaseId: string): boolean {
  const parent = page.parent as { type: string; database_id?: string };
  if (parent.type !== 'data_source_id' && parent.type !== 'database_id') return false;
  const id = parent.database_id === undefined ? undefined : normalizeNotionId(parent.database_id);
  return id !== undefined && id === normalizeNotionId(databaseId);
}

/** The mirror's row for a page; `properties` may be the page's, completed past 25 references. */
export function toMirrorRow(
  page: PageObjectResponse,
  properties: Record<string, unknown> = page.properties,
): MirrorRow {
  const parent = page.parent as { type: string; data_source_id?: string };
  // Signed file URLs change at every fetch: the row keeps each file's identity.
  const stripped = stripPageFiles({ properties, icon: page.icon ?? null, cover: page.cover ?? null });
  return {
    pageId: page.id,
    dataSourceId: parent.type === 'data_source_id' ? (parent.data_source_id ?? null) : null,
    title: titleOf(stripped.properties),
    properties: stripped.properties,
    url: page.url ?? null,
    icon: stripped.icon ?? null,
    cover: stripped.cover ?? null,
    files: stripped.files,
    createdTime: page.created_time,
    lastEditedTime: page.last_edited_time,
    inTrash: page.in_trash === true,
  };
}
