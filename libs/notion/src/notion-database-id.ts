import { normalizeNotionId } from './notion-id.js';

/** The id at the end of a URL path segment: `My-Tasks-<32 hex>` or a dashed UUID. */
const IN_SEGMENT = /(?:^|-)([0-9a-f]{32})$|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * Normalizes a Notion database id given as 32 hex digits, a dashed UUID, or a
 * Notion URL (`https://www.notion.so/<workspace>/<Title>-<id>?v=<view>`) to the
 * dashed lowercase UUID form. Returns undefined when no id can be found. In a
 * URL the id ends the last path segment; `?v=` names a view, not the database.
 */
export function normalizeNotionDatabaseId(input: string): string | undefined {
  let candidate = input.trim();
  if (/^https?:\/\//i.test(candidate)) {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return undefined;
    }
    if (!/(^|\.)notion\.(so|site|com)$/i.test(url.hostname)) return undefined;
    const segment = url.pathname.split('/').filter(Boolean).pop() ?? '';
    const match = IN_SEGMENT.exec(segment);
    if (!match) return undefined;
    candidate = match[1] ?? match[2]!;
  }
  return normalizeNotionId(candidate);
}
