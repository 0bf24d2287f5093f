import type { MarkdownIt, StateCore, Token } from 'markdown-it';
import type { InlineMeta } from './notion-blocks.js';
import { colorClass, parseAttributes } from './notion-tags.js';

/**
 * Core rules that finish what the block rules leave: the `{color="…"}` lists
 * at the end of a block's line, to-do checkboxes, toggle headings and the
 * children of quotes (before inline parsing); wrappers, checkboxes and the
 * table of contents (after it).
 */
export function notionStructure(md: MarkdownIt): void {
  const decode = md.utils.unescapeAll;
  md.core.ruler.after('block', 'notion_block_attributes', (state) => blockAttributes(state, decode));
  md.core.ruler.after('notion_block_attributes', 'notion_nesting', nesting);
  md.core.ruler.push('notion_inline_meta', inlineMeta);
  md.core.ruler.push('notion_table_of_contents', tableOfContents);
}

// `{color="red" toggle="true"}` after a space at the very end; an escaped brace is text.
const ATTRIBUTE_LIST = /(?:^|\s)\{((?:\s*[a-zA-Z-]+="[^"]*")+)\s*\}$/;
const TODO = /^\[([ xX])\](?=\s|$)/;

function blockAttributes(state: StateCore, decode: (value: string) => string): void {
  const { tokens } = state;
  for (let i = 1; i < tokens.length; i++) {
    const inline = tokens[i];
    const block = tokens[i - 1];
    if (inline.type !== 'inline' || (block.type !== 'paragraph_open' && block.type !== 'heading_open')) continue;
    const parent = i > 1 ? tokens[i - 2] : undefined;
    // A list item's or a quote's own text is its first paragraph: the colour is the item's.
    const firstOf =
      block.type === 'paragraph_open' && (parent?.type === 'list_item_open' || parent?.type === 'blockquote_open')
        ? parent
        : undefined;
    const list = ATTRIBUTE_LIST.exec(inline.content);
    if (list) {
      inline.content = inline.content.slice(0, list.index).trimEnd();
      const attributes = parseAttributes(list[1], decode);
      addClass(firstOf ?? block, colorClass(attributes.get('color')));
      if (block.type === 'heading_open' && attributes.get('toggle') === 'true') block.meta = { toggle: true };
    }
    const todo = firstOf?.type === 'list_item_open' ? TODO.exec(inline.content) : null;
    if (todo) {
      inline.content = inline.content.slice(todo[0].length);
      addClass(firstOf!, 'notion-to-do');
      const meta: InlineMeta = { checkbox: todo[1] !== ' ' };
      inline.meta = { ...inline.meta, ...meta };
    }
  }
}

/**
 * A toggle heading becomes `<details>` with the heading as its summary and the
 * children under it; the children of a quote move inside the quote. Other
 * children stay in their `<div class="notion-children">` after their block.
 */
function nesting(state: StateCore): void {
  const { tokens } = state;
  showChildParagraphs(tokens);
  const token = (type: string, tag: string, nesting: -1 | 0 | 1, className?: string): Token => {
    const made = new state.Token(type, tag, nesting);
    made.block = true;
    if (className) made.attrSet('class', className);
    return made;
  };
  for (let i = 0; i < tokens.length; i++) {
    const current = tokens[i];
    if (current.type === 'heading_open' && current.meta?.toggle === true) {
      const headingClose = i + 2;
      const children = tokens[headingClose + 1]?.type === 'notion_children_open' ? headingClose + 1 : undefined;
      const childrenClose = children === undefined ? undefined : matchingClose(tokens, children);
      if (children !== undefined && childrenClose !== undefined) {
        tokens.splice(childrenClose, 1, token('notion_container_close', 'details', -1));
        tokens.splice(children, 1, token('notion_summary_close', 'summary', -1));
      } else {
        tokens.splice(
          headingClose + 1,
          0,
          token('notion_summary_close', 'summary', -1),
          token('notion_container_close', 'details', -1),
        );
      }
      tokens.splice(
        i,
        0,
        token('notion_container_open', 'details', 1, 'notion-toggle-heading'),
        token('notion_summary_open', 'summary', 1),
      );
      i += 2;
    } else if (current.type === 'notion_children_open' && tokens[i - 1]?.type === 'blockquote_close') {
      const close = matchingClose(tokens, i);
      if (close === undefined) continue;
      tokens.splice(close, 1, tokens[i - 1]);
      tokens.splice(i - 1, 2);
      i -= 2;
    }
  }
}

/**
 * markdown-it hides the paragraphs of a tight list item, so an item's own text
 * and its child paragraphs would run together: only the first stays bare.
 */
function showChildParagraphs(tokens: Token[]): void {
  tokens.forEach((item, i) => {
    if (item.type !== 'list_item_open') return;
    const close = matchingClose(tokens, i) ?? tokens.length;
    let first = true;
    for (let j = i + 1; j < close; j++) {
      const child = tokens[j];
      if (child.level !== item.level + 1 || child.nesting === -1) continue;
      if (!first && child.type === 'paragraph_open' && child.hidden) {
        child.hidden = false;
        tokens[j + 2].hidden = false;
      }
      first = false;
    }
  });
}

/** Index of the token closing the one opened at `open`. */
function matchingClose(tokens: Token[], open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    depth += tokens[i].nesting;
    if (depth === 0) return i;
  }
  return undefined;
}

/** Puts in what the block rules asked for in an inline token's meta: plain text, a wrapper, a checkbox. */
function inlineMeta(state: StateCore): void {
  for (const inline of state.tokens) {
    if (inline.type !== 'inline' || !inline.meta) continue;
    const meta = inline.meta as InlineMeta;
    let children = inline.children ?? [];
    if (meta.plain !== undefined) {
      const text = new state.Token('text', '', 0);
      text.content = meta.plain;
      children = [text];
    }
    if (meta.image) {
      const image = new state.Token('notion_image', 'img', 0);
      image.attrs = meta.image;
      children = [image];
    }
    if (meta.wrap) {
      const open = new state.Token('notion_wrap_open', meta.wrap.tag, 1);
      open.attrs = meta.wrap.attrs;
      children = [open, ...children, new state.Token('notion_wrap_close', meta.wrap.tag, -1)];
    }
    if (meta.checkbox !== undefined) {
      const box = new state.Token('notion_checkbox', 'input', 0);
      box.attrs = [
        ['type', 'checkbox'],
        ['disabled', ''],
      ];
      if (meta.checkbox) box.attrs.push(['checked', '']);
      children = [box, ...children];
    }
    inline.children = children;
  }
}

/** Each `<table_of_contents/>` becomes a list of links to the page's headings, which get ids for it. */
function tableOfContents(state: StateCore): void {
  const { tokens } = state;
  if (!tokens.some((t) => t.type === 'notion_toc')) return;
  const headings: { level: number; id: string; text: string }[] = [];
  tokens.forEach((t, i) => {
    if (t.type !== 'heading_open') return;
    const id = `notion-heading-${headings.length + 1}`;
    t.attrSet('id', id);
    const text = (tokens[i + 1].children ?? [])
      .filter((c) => c.type === 'text' || c.type === 'code_inline')
      .map((c) => c.content)
      .join('');
    headings.push({ level: Number(t.tag.slice(1)), id, text });
  });
  const make = (type: string, tag: string, nesting: -1 | 0 | 1, attrs?: Token['attrs'], block = true): Token => {
    const made = new state.Token(type, tag, nesting);
    made.block = block;
    made.attrs = attrs ?? null;
    return made;
  };
  for (let i = tokens.length - 1; i >= 0; i--) {
    const toc = tokens[i];
    if (toc.type !== 'notion_toc') continue;
    const list: Token[] = [];
    if (headings.length) {
      list.push(make('bullet_list_open', 'ul', 1));
      for (const heading of headings) {
        list.push(make('list_item_open', 'li', 1, [['class', `notion-toc-level-${heading.level}`]]));
        const inline = make('inline', '', 0, null, false);
        const text = make('text', '', 0, null, false);
        text.content = heading.text;
        inline.children = [
          make('link_open', 'a', 1, [['href', `#${heading.id}`]], false),
          text,
          make('link_close', 'a', -1, null, false),
        ];
        list.push(inline, make('list_item_close', 'li', -1));
      }
      list.push(make('bullet_list_close', 'ul', -1));
    }
    tokens.splice(i, 1, make('notion_toc_open', 'nav', 1, toc.attrs), ...list, make('notion_toc_close', 'nav', -1));
  }
}

function addClass(token: Token, name: string | undefined): void {
  if (name) token.attrJoin('class', name);
}
