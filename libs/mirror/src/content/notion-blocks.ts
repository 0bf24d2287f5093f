import type { MarkdownIt, StateBlock } from 'markdown-it';
import {
  classes,
  colorClass,
  ForwardSearch,
  parseAttributes,
  readTag,
  safeUrl,
  type SourceTag,
} from './notion-tags.js';

/**
 * Block rules for Notion's enhanced Markdown, where one line is one block and
 * a block's children are the lines under it indented one tab deeper. Every
 * tag these rules take becomes plain elements; a line they do not take is
 * ordinary Markdown, in which markdown-it (with `html: false`) shows any tag
 * as text.
 */
export function notionBlocks(md: MarkdownIt): void {
  const decode = md.utils.unescapeAll;
  const rules = new NotionBlockRules(decode);
  // Notion never writes indented code (its code is always fenced) and writes
  // children one tab deeper: an indented run is the previous block's children.
  md.block.ruler.at('code', (state, start, end) => rules.children(state, start, end));
  // One line is one block: consecutive lines are separate paragraphs, and a
  // `---` under a line is a divider, never a setext heading.
  md.block.ruler.at('paragraph', (state, start) => rules.paragraph(state, start));
  md.block.ruler.disable('lheading');
  md.block.ruler.before('fence', 'notion_container', (s, start, end, silent) => rules.container(s, start, end, silent));
  md.block.ruler.before('fence', 'notion_callout_fence', (s, start, end, silent) =>
    rules.calloutFence(s, start, end, silent),
  );
  md.block.ruler.before('fence', 'notion_table', (s, start, end, silent) => rules.table(s, start, end, silent));
  md.block.ruler.before('fence', 'notion_leaf', (s, start, _end, silent) => rules.leaf(s, start, silent));
  md.block.ruler.before('fence', 'notion_equation', (s, start, end, silent) => rules.equation(s, start, end, silent));
  md.renderer.rules.notion_equation = (tokens, idx) =>
    `<pre class="notion-equation">${md.utils.escapeHtml(tokens[idx].content)}</pre>\n`;
}

/** What the core rules read from an inline token's `meta` (see notion-structure.ts). */
export interface InlineMeta {
  /** Shown as text instead of the (empty) Markdown content. */
  plain?: string;
  /** An element around the content. */
  wrap?: { tag: string; attrs: [string, string][] };
  /** An image instead of the content (its attributes). */
  image?: [string, string][];
  /** A to-do item's checkbox, before the content. */
  checkbox?: boolean;
}

interface Container {
  readonly tag: string;
  readonly className: string;
}

// A Map, not an object literal: a tag named `constructor` must find nothing.
const CONTAINERS = new Map<string, Container>([
  ['details', { tag: 'details', className: 'notion-toggle' }],
  ['callout', { tag: 'aside', className: 'notion-callout' }],
  ['columns', { tag: 'div', className: 'notion-columns' }],
  ['column', { tag: 'div', className: 'notion-column' }],
  ['synced_block', { tag: 'div', className: 'notion-synced-block' }],
  ['synced_block_reference', { tag: 'div', className: 'notion-synced-block-reference' }],
  ['meeting-notes', { tag: 'section', className: 'notion-meeting-notes' }],
  // The parts of meeting notes; a one-line <summary> is a toggle's title instead.
  ['summary', { tag: 'div', className: 'notion-meeting-notes-summary' }],
  ['notes', { tag: 'div', className: 'notion-meeting-notes-notes' }],
  ['transcript', { tag: 'div', className: 'notion-meeting-notes-transcript' }],
]);

/** Tags that make a whole line, each shown as a paragraph holding a link (or its text). */
const LINKED_LEAVES = new Map<string, { url: string; fallback: string }>([
  ['page', { url: 'url', fallback: 'Untitled' }],
  ['database', { url: 'url', fallback: 'Untitled' }],
  ['audio', { url: 'src', fallback: '' }],
  ['video', { url: 'src', fallback: '' }],
  ['file', { url: 'src', fallback: '' }],
  ['pdf', { url: 'src', fallback: '' }],
  ['unknown', { url: 'url', fallback: 'Unsupported block' }],
]);

const CALLOUT_FENCE = /^:{3,}\s*callout(?:\s*\{(.*)\})?\s*$/i;
const DIV_FENCE_OPEN = /^:{3,}\s*\S/;
const DIV_FENCE_CLOSE = /^:{3,}\s*$/;
const CODE_FENCE = /^(`{3,}|~{3,})/;
const TABLE_PART = /<(\/?)(colgroup|col|tr|td|th)(?=[\s/>])([^>]*)>/gi;

interface TableCell {
  header: boolean;
  color: string | undefined;
  content: string;
}

interface TableRow {
  color: string | undefined;
  cells: TableCell[];
}

class NotionBlockRules {
  /** Per document: the first line at or after a line that holds `</table>`. */
  private readonly tableClosings = new WeakMap<StateBlock, ForwardSearch>();

  constructor(private readonly decode: (value: string) => string) {}

  /** A run of lines indented a tab deeper than the block before them: its children. */
  children(state: StateBlock, startLine: number, endLine: number): boolean {
    if (state.sCount[startLine] - state.blkIndent < 4) return false;
    let last = startLine + 1;
    for (let line = last; line < endLine; line++) {
      if (state.isEmpty(line)) continue;
      if (state.sCount[line] - state.blkIndent < 4) break;
      last = line + 1;
    }
    const open = state.push('notion_children_open', 'div', 1);
    open.attrSet('class', 'notion-children');
    open.map = [startLine, last];
    this.tokenizeInside(state, startLine, last);
    state.push('notion_children_close', 'div', -1);
    state.line = last;
    return true;
  }

  paragraph(state: StateBlock, startLine: number): boolean {
    state.line = startLine + 1;
    const open = state.push('paragraph_open', 'p', 1);
    open.map = [startLine, state.line];
    const inline = state.push('inline', '', 0);
    inline.content = state.md.utils.asciiTrim(lineText(state, startLine));
    inline.map = [startLine, state.line];
    inline.children = [];
    state.push('paragraph_close', 'p', -1);
    return true;
  }

  /** `<details>`, `<callout>`, `<columns>`, `<column>`, synced blocks, meeting notes: open tag and close tag each on a line of their own. */
  container(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
    const tag = this.lineTag(state, startLine);
    const kind = tag && CONTAINERS.get(tag.name);
    if (!tag || !kind || tag.closing || tag.selfClosing || tag.end !== lineText(state, startLine).length) return false;
    const closeLine = findClosingLine(
      state,
      `tag:${tag.name}`,
      startLine,
      endLine,
      (text) => this.isWholeTag(text, tag.name, false),
      (text) => this.isWholeTag(text, tag.name, true),
    );
    if (closeLine === undefined) return false;
    if (!silent) this.pushContainer(state, tag.name, kind, tag.attributes, startLine, closeLine);
    return true;
  }

  /** `::: callout {icon="💡" color="gray_bg"}` … `:::`, the Pandoc-style fenced div form of a callout. */
  calloutFence(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
    if (state.sCount[startLine] - state.blkIndent >= 4) return false;
    const opening = CALLOUT_FENCE.exec(lineText(state, startLine));
    if (!opening) return false;
    const closeLine = findClosingLine(
      state,
      'div-fence',
      startLine,
      endLine,
      (text) => DIV_FENCE_OPEN.test(text),
      (text) => DIV_FENCE_CLOSE.test(text),
    );
    if (closeLine === undefined) return false;
    if (!silent) {
      const attributes = parseAttributes(opening[1] ?? '', this.decode);
      this.pushContainer(state, 'callout', CONTAINERS.get('callout')!, attributes, startLine, closeLine);
    }
    return true;
  }

  /** A Notion table: `<table>` to `</table>`, rows of cells holding rich text. */
  table(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
    const tag = this.lineTag(state, startLine);
    if (!tag || tag.name !== 'table' || tag.closing || tag.selfClosing) return false;
    const closeLine = this.tableEnds(state).at(startLine);
    if (closeLine < 0 || closeLine >= endLine) return false;
    const source = Array.from({ length: closeLine - startLine + 1 }, (_, i) => lineText(state, startLine + i)).join(
      '\n',
    );
    const close = /<\/table>\s*$/i.exec(source);
    if (!close || close.index < tag.end) return false;
    const table = this.tableRows(source.slice(tag.end, close.index));
    if (!table) return false;
    if (silent) return true;
    this.pushTable(state, tag.attributes, table, [startLine, closeLine + 1]);
    state.line = closeLine + 1;
    return true;
  }

  /** A tag that is a whole line: `<empty-block/>`, `<table_of_contents/>`, `<page>`, `<database>`, media, `<unknown/>`. */
  leaf(state: StateBlock, startLine: number, silent: boolean): boolean {
    const tag = this.lineTag(state, startLine);
    if (!tag || tag.closing) return false;
    const linked = LINKED_LEAVES.get(tag.name);
    if (!linked && tag.name !== 'empty-block' && tag.name !== 'table_of_contents') return false;
    const text = lineText(state, startLine);
    const closing = `</${tag.name}>`;
    let content: string;
    if (tag.selfClosing && tag.end === text.length) content = '';
    else if (!tag.selfClosing && text.toLowerCase().endsWith(closing) && text.length - closing.length >= tag.end) {
      content = text.slice(tag.end, text.length - closing.length).trim();
    } else return false;
    if (silent) return true;
    const color = colorClass(tag.attributes.get('color'));
    const map: [number, number] = [startLine, startLine + 1];
    if (tag.name === 'empty-block') {
      state.push('paragraph_open', 'p', 1).map = map;
      state.push('paragraph_close', 'p', -1);
    } else if (tag.name === 'table_of_contents') {
      const toc = state.push('notion_toc', 'nav', 0);
      toc.attrSet('class', classes('notion-table-of-contents', color)!);
      toc.map = map;
    } else if (linked) {
      const url = tag.attributes.get(linked.url);
      const href = url === undefined ? undefined : safeUrl(url, 'link');
      // An unknown block's `alt` is an attribute, plain text; the others' content is rich text.
      const markdown = tag.name === 'unknown' ? '' : content;
      const plain =
        tag.name === 'unknown' ? tag.attributes.get('alt') || linked.fallback : linked.fallback || url || '';
      const open = state.push('paragraph_open', 'p', 1);
      open.attrSet('class', classes(`notion-${tag.name}`, color)!);
      open.map = map;
      const inline = state.push('inline', '', 0);
      inline.content = markdown;
      inline.children = [];
      inline.map = map;
      const meta: InlineMeta = { wrap: href ? { tag: 'a', attrs: [['href', href]] } : undefined };
      if (!markdown) meta.plain = plain;
      inline.meta = { ...meta };
      state.push('paragraph_close', 'p', -1);
    }
    state.line = startLine + 1;
    return true;
  }

  /** `$$` … `$$` on lines of their own, or `$$E=mc^2$$` on one: shown as its TeX source. */
  equation(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
    if (state.sCount[startLine] - state.blkIndent >= 4) return false;
    const text = lineText(state, startLine);
    let content: string;
    let last = startLine;
    const oneLine = /^\$\$(.+)\$\$$/.exec(text);
    if (oneLine) content = oneLine[1];
    else if (text === '$$') {
      while (++last < endLine && lineText(state, last) !== '$$');
      if (last >= endLine) return false;
      content = state.getLines(startLine + 1, last, state.sCount[startLine], false);
    } else return false;
    if (silent) return true;
    const token = state.push('notion_equation', 'pre', 0);
    token.content = content.trim();
    token.map = [startLine, last + 1];
    state.line = last + 1;
    return true;
  }

  private tableEnds(state: StateBlock): ForwardSearch {
    let search = this.tableClosings.get(state);
    if (!search) {
      search = new ForwardSearch((from) => {
        for (let line = from; line < state.bMarks.length - 1; line++)
          if (/<\/table>/i.test(lineText(state, line))) return line;
        return -1;
      });
      this.tableClosings.set(state, search);
    }
    return search;
  }

  private pushContainer(
    state: StateBlock,
    name: string,
    kind: Container,
    attributes: ReadonlyMap<string, string>,
    startLine: number,
    closeLine: number,
  ): void {
    const open = state.push('notion_container_open', kind.tag, 1);
    open.attrSet('class', classes(kind.className, colorClass(attributes.get('color')))!);
    open.map = [startLine, closeLine + 1];
    let inner = startLine + 1;
    if (name === 'details') inner = this.pushSummary(state, inner, closeLine);
    if (name === 'callout') this.pushIcon(state, attributes.get('icon'));
    this.tokenizeInside(state, inner, closeLine);
    state.push('notion_container_close', kind.tag, -1);
    state.line = closeLine + 1;
  }

  /** A toggle's first line, `<summary>Title</summary>`, becomes its summary; returns the line after it. */
  private pushSummary(state: StateBlock, line: number, closeLine: number): number {
    while (line < closeLine && state.isEmpty(line)) line++;
    if (line >= closeLine) return line;
    const text = lineText(state, line);
    const tag = readTag(text, 0, text.length, this.decode);
    if (!tag || tag.name !== 'summary' || tag.closing || tag.selfClosing || !/<\/summary>$/i.test(text)) return line;
    state.push('notion_summary_open', 'summary', 1);
    const inline = state.push('inline', '', 0);
    inline.content = text.slice(tag.end, text.length - '</summary>'.length).trim();
    inline.children = [];
    inline.map = [line, line + 1];
    state.push('notion_summary_close', 'summary', -1);
    return line + 1;
  }

  /** A callout's icon: an emoji (text), or an image when it is an http(s) URL. */
  private pushIcon(state: StateBlock, icon: string | undefined): void {
    if (!icon) return;
    const src = safeUrl(icon, 'image');
    const className = 'notion-callout-icon';
    const inline = state.push('inline', '', 0);
    inline.children = [];
    const meta: InlineMeta = src
      ? {
          image: [
            ['class', className],
            ['src', src],
            ['alt', ''],
          ],
        }
      : { plain: icon, wrap: { tag: 'span', attrs: [['class', className]] } };
    inline.meta = { ...meta };
  }

  private pushTable(
    state: StateBlock,
    attributes: ReadonlyMap<string, string>,
    table: { rows: TableRow[]; columnColors: (string | undefined)[] },
    map: [number, number],
  ): void {
    const headerRow = attributes.get('header-row') === 'true';
    const headerColumn = attributes.get('header-column') === 'true';
    const open = state.push('table_open', 'table', 1);
    open.attrSet('class', 'notion-table');
    open.map = map;
    const pushRows = (rows: TableRow[], first: number): void => {
      rows.forEach((row, r) => {
        state.push('tr_open', 'tr', 1);
        row.cells.forEach((cell, c) => {
          const tag = cell.header || (headerRow && first + r === 0) || (headerColumn && c === 0) ? 'th' : 'td';
          const cellOpen = state.push(`${tag}_open`, tag, 1);
          const color = colorClass(cell.color ?? row.color ?? table.columnColors[c]);
          if (color) cellOpen.attrSet('class', color);
          const inline = state.push('inline', '', 0);
          inline.content = cell.content;
          inline.children = [];
          state.push(`${tag}_close`, tag, -1);
        });
        state.push('tr_close', 'tr', -1);
      });
    };
    const bodyFrom = headerRow ? 1 : 0;
    if (headerRow) {
      state.push('thead_open', 'thead', 1);
      pushRows(table.rows.slice(0, 1), 0);
      state.push('thead_close', 'thead', -1);
    }
    if (table.rows.length > bodyFrom) {
      state.push('tbody_open', 'tbody', 1);
      pushRows(table.rows.slice(bodyFrom), bodyFrom);
      state.push('tbody_close', 'tbody', -1);
    }
    state.push('table_close', 'table', -1);
  }

  /** The rows of a table's inside, or undefined when it has none. A cell left open ends at the next cell or row. */
  private tableRows(source: string): { rows: TableRow[]; columnColors: (string | undefined)[] } | undefined {
    const rows: TableRow[] = [];
    const columnColors: (string | undefined)[] = [];
    let row: TableRow | undefined;
    let cell: { header: boolean; color: string | undefined; start: number } | undefined;
    const endCell = (at: number): void => {
      if (!cell) return;
      if (!row) rows.push((row = { color: undefined, cells: [] }));
      const content = source
        .slice(cell.start, at)
        .replace(/\s*\n\s*/g, ' ')
        .trim();
      row.cells.push({ header: cell.header, color: cell.color, content });
      cell = undefined;
    };
    for (const match of source.matchAll(TABLE_PART)) {
      const [text, slash, rawName, attributeSource] = match;
      const name = rawName.toLowerCase();
      const color = parseAttributes(attributeSource, this.decode).get('color');
      if (slash) {
        if (name === 'td' || name === 'th' || name === 'tr') endCell(match.index);
        if (name === 'tr') row = undefined;
        continue;
      }
      if (cell && name !== 'td' && name !== 'th' && name !== 'tr') continue;
      if (name === 'col') columnColors.push(color);
      else if (name === 'tr') {
        endCell(match.index);
        rows.push((row = { color, cells: [] }));
      } else if (name === 'td' || name === 'th') {
        endCell(match.index);
        cell = { header: name === 'th', color, start: match.index + text.length };
      }
    }
    endCell(source.length);
    return rows.some((r) => r.cells.length) ? { rows, columnColors } : undefined;
  }

  /**
   * Tokenizes a block's inside. Lines indented a tab deeper than the block (as
   * Notion writes them) are read at that depth, so they are not taken for the
   * children of one another.
   */
  private tokenizeInside(state: StateBlock, from: number, to: number): void {
    const oldIndent = state.blkIndent;
    const oldParent = state.parentType;
    const oldLineMax = state.lineMax;
    let indent = Infinity;
    for (let line = from; line < to; line++) {
      if (!state.isEmpty(line)) indent = Math.min(indent, state.sCount[line]);
    }
    if (indent !== Infinity && indent >= oldIndent + 4) state.blkIndent = oldIndent + 4;
    state.parentType = 'notion';
    state.lineMax = to;
    state.md.block.tokenize(state, from, to);
    state.blkIndent = oldIndent;
    state.parentType = oldParent;
    state.lineMax = oldLineMax;
  }

  /** The tag a line starts with, when the line is not indented into a child. */
  private lineTag(state: StateBlock, line: number): SourceTag | undefined {
    if (state.sCount[line] - state.blkIndent >= 4) return undefined;
    const text = lineText(state, line);
    return text.charCodeAt(0) === 0x3c ? readTag(text, 0, text.length, this.decode) : undefined;
  }

  private isWholeTag(text: string, name: string, closing: boolean): boolean {
    const tag = text.charCodeAt(0) === 0x3c ? readTag(text, 0, text.length, this.decode) : undefined;
    return !!tag && tag.name === name && tag.closing === closing && !tag.selfClosing && tag.end === text.length;
  }
}

/** A line's text after its indentation, without trailing whitespace. */
function lineText(state: StateBlock, line: number): string {
  return state.src.slice(state.bMarks[line] + state.tShift[line], state.eMarks[line]).trimEnd();
}

interface LineMatch {
  /** The closing line, or undefined when none was found before `scannedTo`. */
  readonly close: number | undefined;
  readonly scannedTo: number;
  /** The line's start when it was matched: a blockquote moves it while it parses its inside. */
  readonly lineStart: number;
}

/** Per document: the container lines matched so far, by kind of container and opening line. */
const lineMatches = new WeakMap<StateBlock, Map<string, Map<number, LineMatch>>>();

/**
 * The line that closes a block of `kind` opened at `startLine`, counting
 * blocks of the same kind opened inside it and skipping fenced code (whose
 * lines are text). One scan matches every opening line it passes (with a
 * stack), so a document of unclosed tags is read once, not once per tag.
 */
function findClosingLine(
  state: StateBlock,
  kind: string,
  startLine: number,
  endLine: number,
  opens: (text: string) => boolean,
  closes: (text: string) => boolean,
): number | undefined {
  let byKind = lineMatches.get(state);
  if (!byKind) lineMatches.set(state, (byKind = new Map()));
  let matches = byKind.get(kind);
  if (!matches) byKind.set(kind, (matches = new Map()));
  const known = matches.get(startLine);
  if (known && known.lineStart === state.bMarks[startLine]) {
    if (known.close !== undefined) return known.close < endLine ? known.close : undefined;
    if (endLine <= known.scannedTo) return undefined;
  }
  let result: number | undefined;
  const record = (open: number, close: number | undefined): void => {
    if (open === startLine) result = close;
    // A lazy line of a blockquote is parsed again outside it: match it there.
    if (state.sCount[open] >= 0) matches.set(open, { close, scannedTo: endLine, lineStart: state.bMarks[open] });
  };
  const stack = [startLine];
  let fence: string | undefined;
  for (let line = startLine + 1; line < endLine && stack.length; line++) {
    const text = lineText(state, line);
    const marker = CODE_FENCE.exec(text)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && text === marker) fence = undefined;
    } else if (marker) fence = marker;
    else if (closes(text)) record(stack.pop()!, line);
    else if (opens(text)) stack.push(line);
  }
  for (const open of stack) record(open, undefined);
  return result;
}
