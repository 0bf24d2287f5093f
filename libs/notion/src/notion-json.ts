import { normalizeNotionId } from './notion-id.js';

/** A JSON object (not null, not an array): how Notion's objects and query bodies are checked before reading them. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The plain text of a rich text array (a title, a rich text value, a data source's name): its `plain_text`s joined. */
export function richTextPlain(items: unknown): string {
  return Array.isArray(items)
    ? items.map((item) => (isJsonObject(item) ? String(item['plain_text'] ?? '') : '')).join('')
    : '';
}

/** A Notion id in the mirror's dashed lowercase form, or as given when it is not one (never dropped). */
export const notionIdOrAsGiven = (raw: string): string => normalizeNotionId(raw) ?? raw;
