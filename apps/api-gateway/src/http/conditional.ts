/**
 * RFC 9110 `If-None-Match`: true when the header is `*` or lists `etag`,
 * compared weakly (a `W/` prefix ignored), as a GET's 304 requires.
 */
export function matchesIfNoneMatch(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  return value.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
