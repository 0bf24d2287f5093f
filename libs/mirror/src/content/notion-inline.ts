import type { MarkdownIt, StateInline } from 'markdown-it';
import {
  classes,
  closingTags,
  colorClass,
  ForwardSearch,
  readTag,
  safeUrl,
  type SourceTag,
  type TagRange,
} from './notion-tags.js';

/**
 * Inline rules for Notion's rich text: `<br>`, `<span color underline>`,
 * mentions, inline equations and citations. Any other tag stays text (markdown-it
 * runs with `html: false`).
 */
export function notionInline(md: MarkdownIt): void {
  const decode = md.utils.unescapeAll;
  md.inline.ruler.before('autolink', 'notion_tag', (state, silent) => inlineTag(state, silent, decode));
  md.inline.ruler.before('strikethrough', 'notion_equation', inlineEquation);
  md.inline.ruler.before('link', 'notion_citation', citation);
}

/** Per inline source: closing tags by name, and the searches of the rules below. */
const memory = new WeakMap<StateInline, Map<string, Map<number, TagRange> | ForwardSearch>>();

function remembered<T extends Map<number, TagRange> | ForwardSearch>(
  state: StateInline,
  key: string,
  make: () => T,
): T {
  let entries = memory.get(state);
  if (!entries) memory.set(state, (entries = new Map()));
  let entry = entries.get(key) as T | undefined;
  if (!entry) entries.set(key, (entry = make()));
  return entry;
}

/** The tag closing the one opened at `state.pos`, when it ends within the source being parsed. */
function closingTag(state: StateInline, name: string): TagRange | undefined {
  const close = remembered(state, `tag:${name}`, () => closingTags(state.src, name)).get(state.pos);
  return close && close.end <= state.posMax ? close : undefined;
}

const MENTIONS = new Set([
  'mention-user',
  'mention-page',
  'mention-database',
  'mention-data-source',
  'mention-agent',
  'mention-date',
]);

function inlineTag(state: StateInline, silent: boolean, decode: (value: string) => string): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x3c) return false;
  const tag = readTag(state.src, state.pos, state.posMax, decode);
  if (!tag || tag.closing) return false;
  if (tag.name === 'br') {
    if (!silent) state.push('hardbreak', 'br', 0);
    state.pos = tag.end;
    return true;
  }
  if (tag.name === 'span') return span(state, tag, silent);
  if (MENTIONS.has(tag.name)) return mention(state, tag, silent, decode);
  return false;
}

/** `<span color="red" underline="true">rich text</span>`: a class for the colour, `<u>` for the underline. */
function span(state: StateInline, tag: SourceTag, silent: boolean): boolean {
  if (tag.selfClosing) {
    state.pos = tag.end;
    return true;
  }
  const close = closingTag(state, 'span');
  if (!close || close.start < tag.end) return false;
  if (!silent) {
    const element = tag.attributes.get('underline') === 'true' ? 'u' : 'span';
    const open = state.push('notion_span_open', element, 1);
    const color = colorClass(tag.attributes.get('color'));
    if (color) open.attrSet('class', color);
    const max = state.posMax;
    state.pos = tag.end;
    state.posMax = close.start;
    state.md.inline.tokenize(state);
    state.posMax = max;
    state.push('notion_span_close', element, -1);
  }
  state.pos = close.end;
  return true;
}

/**
 * `<mention-page url="…">Title</mention-page>` (or self-closing): a link for
 * pages, databases, data sources and agents when the URL is http(s), text
 * otherwise; users and dates are text. The inner text is shown as it is.
 */
function mention(state: StateInline, tag: SourceTag, silent: boolean, decode: (value: string) => string): boolean {
  let content = '';
  let end = tag.end;
  if (!tag.selfClosing) {
    const close = closingTag(state, tag.name);
    if (close && close.start >= tag.end) {
      content = state.src.slice(tag.end, close.start);
      end = close.end;
    }
  }
  if (!silent) {
    const kind = tag.name.slice('mention-'.length);
    const url = tag.attributes.get('url');
    const linkable = kind !== 'user' && kind !== 'date' && url !== undefined;
    const href = linkable ? safeUrl(url, 'link') : undefined;
    // Inside a Markdown link a second <a> would nest: keep the text only.
    const element = href && state.linkLevel === 0 ? 'a' : 'span';
    const open = state.push('notion_mention_open', element, 1);
    open.attrSet('class', classes('notion-mention', `notion-mention-${kind}`)!);
    if (element === 'a') open.attrSet('href', href!);
    const text = state.push('text', '', 0);
    const fallback = kind === 'date' ? dateText(tag.attributes) : kind === 'user' ? undefined : url;
    const shown = decode(content).trim() || fallback || kind;
    text.content = kind === 'user' ? `@${shown}` : shown;
    state.push('notion_mention_close', element, -1);
  }
  state.pos = end;
  return true;
}

/** `2026-10-01 09:00 → 2026-10-05 (Asia/Seoul)` from a date mention's attributes. */
function dateText(attributes: ReadonlyMap<string, string>): string | undefined {
  const start = attributes.get('start');
  if (!start) return undefined;
  const at = (date: string, time: string | undefined): string => (time ? `${date} ${time}` : date);
  const end = attributes.get('end');
  const endTime = attributes.get('endtime');
  const zone = attributes.get('timezone');
  return (
    at(start, attributes.get('starttime')) +
    (end || endTime ? ` → ${at(end ?? start, endTime)}` : '') +
    (zone ? ` (${zone})` : '')
  );
}

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/;

/**
 * `$x^2$` (or `` $`x*y`$ `` when the TeX holds Markdown delimiters): Notion
 * writes a space before the opening `$` and after the closing one, none
 * inside; a literal dollar is escaped (`\$`). Shown as its TeX source.
 */
function inlineEquation(state: StateInline, silent: boolean): boolean {
  const { src, pos, posMax } = state;
  if (src.charCodeAt(pos) !== 0x24 || pos + 2 > posMax) return false;
  if (pos > 0 && WORD.test(src[pos - 1])) return false;
  const first = src[pos + 1];
  if (first === '$' || SPACE.test(first)) return false;
  let content: string;
  let after: number;
  if (first === '`') {
    const close = remembered(state, 'equation:code', () => new ForwardSearch((from) => src.indexOf('`$', from))).at(
      pos + 2,
    );
    if (close < 0 || close + 2 > posMax) return false;
    content = src.slice(pos + 2, close);
    after = close + 2;
  } else {
    const close = remembered(state, 'equation', () => new ForwardSearch((from) => equationEnd(src, from))).at(pos + 2);
    if (close < 0 || close >= posMax) return false;
    content = src.slice(pos + 1, close);
    after = close + 1;
  }
  if (after < posMax && WORD.test(src[after])) return false;
  if (!silent) {
    const open = state.push('notion_equation_open', 'span', 1);
    open.attrSet('class', 'notion-equation');
    state.push('text', '', 0).content = content;
    state.push('notion_equation_close', 'span', -1);
  }
  state.pos = after;
  return true;
}

/** The first `$` at or after `from` that can close an equation: not after a space or a backslash. */
function equationEnd(src: string, from: number): number {
  let close = src.indexOf('$', from);
  while (close >= 0 && (SPACE.test(src[close - 1]) || src[close - 1] === '\\')) close = src.indexOf('$', close + 1);
  return close;
}

/** `[^https://…]`: a numbered citation, a link when the URL is http(s). */
function citation(state: StateInline, silent: boolean): boolean {
  const { src, pos, posMax } = state;
  if (src.charCodeAt(pos) !== 0x5b || src.charCodeAt(pos + 1) !== 0x5e) return false;
  const close = remembered(state, 'citation', () => new ForwardSearch((from) => src.indexOf(']', from))).at(pos + 2);
  if (close < 0 || close >= posMax || close === pos + 2) return false;
  const target = src.slice(pos + 2, close);
  if (/\s/.test(target)) return false;
  if (!silent) {
    const number = ((state.env.notionCitations as number | undefined) ?? 0) + 1;
    state.env.notionCitations = number;
    const open = state.push('notion_citation_open', 'sup', 1);
    open.attrSet('class', 'notion-citation');
    const href = state.linkLevel === 0 ? safeUrl(target, 'link') : undefined;
    if (href) state.push('link_open', 'a', 1).attrSet('href', href);
    state.push('text', '', 0).content = `[${number}]`;
    if (href) state.push('link_close', 'a', -1);
    state.push('notion_citation_close', 'sup', -1);
  }
  state.pos = close + 1;
  return true;
}
