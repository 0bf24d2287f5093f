/** A Notion id as Notion prints it: 32 hex digits, with or without the dashes of a UUID. */
export const NOTION_ID_PATTERN =
  /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/**
 * Normalizes a Notion id (page, database, data source), given as 32 hex
 * digits or a dashed UUID (Notion prints both), to the dashed lowercase form
 * the mirror stores. Returns undefined for anything else. The one place that
 * knows the forms: database ids from URLs, page ids in the API and entity ids
 * in webhooks all come through here.
 */
export function normalizeNotionId(input: string): string | undefined {
  if (!NOTION_ID_PATTERN.test(input)) return undefined;
  const hex = input.toLowerCase().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
