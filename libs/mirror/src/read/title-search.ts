/** Longest title search accepted (characters: code points, as Postgres counts them). */
export const TITLE_SEARCH_MAX = 200;

// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/** A lone surrogate: not text (node-postgres would send U+FFFD in its place). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A title search is 1 to 200 characters, taken literally (not trimmed), with no
 * control characters: Postgres refuses NUL in text, and titles hold none of the rest.
 */
export function isTitleSearch(q: string): boolean {
  const length = [...q].length;
  return length >= 1 && length <= TITLE_SEARCH_MAX && !CONTROL_CHARS.test(q) && !LONE_SURROGATE.test(q);
}

/** `text` for a LIKE pattern (escape character `\`): its `%`, `_` and `\` match literally. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

/**
 * The ILIKE pattern (escape character `\`) that matches titles containing `q`
 * literally: the user's `%`, `_` and `\` are escaped, not wildcards.
 */
export function titleContainsPattern(q: string): string {
  return `%${escapeLike(q)}%`;
}
