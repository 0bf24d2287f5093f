const DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLAIN = /^[0-9a-f]{32}$/i;

/**
 * Normalizes a Notion page id, given as 32 hex digits or a dashed UUID (Notion
 * prints both), to the dashed lowercase form the mirror stores. Returns
 * undefined for anything else.
 */
export function normalizeNotionPageId(input: string): string | undefined {
  if (!DASHED.test(input) && !PLAIN.test(input)) return undefined;
  const hex = input.toLowerCase().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
