/**
 * The pieces of Notion's enhanced Markdown that the block and inline rules
 * share: reading one of its XML-like tags, its attributes, its colours, and
 * the URLs it carries.
 */

/** One tag as written in the source: `<name a="b">`, `<name/>` or `</name>`. */
export interface SourceTag {
  /** Lower-cased. */
  readonly name: string;
  /** Attribute names lower-cased, values with entities and backslash escapes decoded. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly closing: boolean;
  readonly selfClosing: boolean;
  /** Index just past the tag's `>`. */
  readonly end: number;
}

// Attribute values are double-quoted in everything Notion writes; single quotes
// are accepted too, a bare word is not (it would make `<` text ambiguous).
const TAG = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[a-zA-Z_:][\w:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>/y;
const ATTRIBUTE = /([a-zA-Z_:][\w:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g;

/**
 * The tag starting exactly at `pos` in `source` (and ending before `max`), or
 * undefined when there is none. `decode` turns entities and backslash escapes
 * into the characters they stand for (markdown-it's `unescapeAll`).
 */
export function readTag(
  source: string,
  pos: number,
  max: number,
  decode: (value: string) => string,
): SourceTag | undefined {
  TAG.lastIndex = pos;
  const match = TAG.exec(source);
  if (!match || TAG.lastIndex > max) return undefined;
  const [, slash, name, attributeSource, selfClosing] = match;
  const closing = slash === '/';
  if (closing && (attributeSource.trim() !== '' || selfClosing)) return undefined;
  return {
    name: name.toLowerCase(),
    attributes: parseAttributes(attributeSource, decode),
    closing,
    selfClosing: selfClosing === '/',
    end: TAG.lastIndex,
  };
}

/** `a="1" b="2"` as a map (names lower-cased, values decoded, the first of a name wins). */
export function parseAttributes(source: string, decode: (value: string) => string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [, name, doubleQuoted, singleQuoted] of source.matchAll(ATTRIBUTE)) {
    const key = name.toLowerCase();
    if (!attributes.has(key)) attributes.set(key, decode(doubleQuoted ?? singleQuoted ?? ''));
  }
  return attributes;
}

/** Where a closing tag starts and ends. */
export interface TagRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where each tag named `name` that opens in `source` is closed, keyed by the
 * index of its `<`, nesting counted; a tag never closed is absent. One pass
 * with a stack, so a line of ten thousand unclosed tags is not searched ten
 * thousand times over.
 */
export function closingTags(source: string, name: string): Map<number, TagRange> {
  const pattern = new RegExp(`<(/?)${name}(?=[\\s/>])[^>]*>`, 'gi');
  const open: number[] = [];
  const closes = new Map<number, TagRange>();
  for (const match of source.matchAll(pattern)) {
    if (match[1] === '/') {
      const opening = open.pop();
      if (opening !== undefined) closes.set(opening, { start: match.index, end: match.index + match[0].length });
    } else if (!match[0].endsWith('/>')) open.push(match.index);
  }
  return closes;
}

/**
 * The first index at or after a position where `find` succeeds (-1: none),
 * remembering the last answer: rules ask at rising positions, and a source
 * full of openers without a closer must cost one scan, not one per opener.
 * `find(from)` must not depend on anything but `from`.
 */
export class ForwardSearch {
  private from = Infinity;
  private found = -1;

  constructor(private readonly find: (from: number) => number) {}

  at(from: number): number {
    if (from < this.from || (this.found !== -1 && this.found < from)) {
      this.from = from;
      this.found = this.find(from);
    }
    return this.found;
  }
}

const HUES = new Set(['gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red']);

/**
 * The class for one of Notion's colours (`red`, `red_bg`; the API's older
 * `red_background` and any letter case accepted): `notion-color-red_bg`.
 * Anything else, `default` included, has none: colours never become a `style`.
 */
export function colorClass(color: string | undefined): string | undefined {
  if (!color) return undefined;
  const value = color
    .trim()
    .toLowerCase()
    .replace(/_background$/, '_bg');
  const hue = value.endsWith('_bg') ? value.slice(0, -3) : value;
  return HUES.has(hue) ? `notion-color-${value}` : undefined;
}

/** Joins class names, skipping the absent ones; undefined when none is left. */
export function classes(...names: (string | undefined)[]): string | undefined {
  const present = names.filter((name): name is string => !!name);
  return present.length ? present.join(' ') : undefined;
}

const SCHEMES = { link: new Set(['http:', 'https:', 'mailto:']), image: new Set(['http:', 'https:']) };
const FRAGMENT = /^#[\w-]*$/;

/**
 * The URL to write into an `href` (`link`: http, https, mailto, or a `#`
 * fragment) or an `img src` (`image`: http or https), or undefined when it is
 * anything else. The value is parsed as the browser would (WHATWG URL: case,
 * surrounding spaces, tabs and newlines inside the scheme), and its serialised
 * form is returned, so no spelling of another scheme gets through. Relative
 * URLs are refused: they would resolve against whatever serves the HTML.
 */
export function safeUrl(raw: string, use: 'link' | 'image'): string | undefined {
  const value = raw.trim();
  if (use === 'link' && FRAGMENT.test(value)) return value;
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  return SCHEMES[use].has(url.protocol) ? url.href : undefined;
}
