import type { IOptions, Transformer } from 'sanitize-html';
import { safeUrl } from './notion-tags.js';

/**
 * What a rendered page body may contain: the elements the renderer produces
 * and nothing else. markdown-it already shows raw HTML as text; this is the
 * second, independent line (anything unexpected is escaped, not dropped
 * silently), and the one place URLs are checked on the way out.
 */
const TAGS = [
  ...['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code'],
  ...['ul', 'ol', 'li', 'input', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  ...['em', 'strong', 's', 'u', 'sup', 'span', 'a', 'img'],
  ...['details', 'summary', 'aside', 'div', 'section', 'nav'],
];

const REL = 'noopener noreferrer nofollow';
const HEADING_ID = /^notion-heading-\d+$/;
const ALIGN = /^\s*text-align\s*:\s*(left|center|right)\s*;?\s*$/i;

/** Attributes without the absent ones. */
const present = (attribs: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(attribs).filter((entry): entry is [string, string] => entry[1] !== undefined));

/** Links keep only a safe href (and gain `rel`); one without becomes its text in a span. */
const link: Transformer = (_tag, attribs) => {
  const href = attribs.href === undefined ? undefined : safeUrl(attribs.href, 'link');
  if (!href) return { tagName: 'span', attribs: present({ class: attribs.class }) };
  return { tagName: 'a', attribs: present({ class: attribs.class, href, title: attribs.title, rel: REL }) };
};

/** Images keep only an http(s) src; one without becomes its alt text. */
const image: Transformer = (_tag, attribs) => {
  const src = attribs.src === undefined ? undefined : safeUrl(attribs.src, 'image');
  if (!src) return { tagName: 'span', attribs: {}, text: attribs.alt ?? '' };
  return {
    tagName: 'img',
    attribs: present({ class: attribs.class, src, alt: attribs.alt ?? '', title: attribs.title }),
  };
};

/** A to-do's checkbox, always disabled. */
const checkbox: Transformer = (_tag, attribs) => ({
  tagName: 'input',
  attribs: present({ type: 'checkbox', disabled: '', checked: 'checked' in attribs ? '' : undefined }),
});

/** GFM table alignment arrives as `style="text-align:…"`; it leaves as a class. */
const cell: Transformer = (tag, attribs) => {
  const align = ALIGN.exec(attribs.style ?? '')?.[1]?.toLowerCase();
  const className = [attribs.class, align && `notion-align-${align}`].filter(Boolean).join(' ');
  return { tagName: tag, attribs: present({ class: className || undefined }) };
};

/** Headings keep an id only when the renderer gave it (for the table of contents). */
const heading: Transformer = (tag, attribs) => ({
  tagName: tag,
  attribs: present({ class: attribs.class, id: HEADING_ID.test(attribs.id ?? '') ? attribs.id : undefined }),
});

/** sanitize-html options for the output of `renderContentHtml`. */
export const CONTENT_HTML_ALLOWLIST: IOptions = {
  allowedTags: TAGS,
  allowedAttributes: {
    '*': ['class'],
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title'],
    input: ['type', 'checked', 'disabled'],
    ol: ['start'],
    ...Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [h, ['id']])),
  },
  allowedClasses: { '*': [/^notion-[a-z0-9_-]+$/, /^language-[\w+#.-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
  // No style is ever allowed, so postcss never needs to parse one.
  parseStyleAttributes: false,
  transformTags: {
    a: link,
    img: image,
    input: checkbox,
    th: cell,
    td: cell,
    ...Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [h, heading])),
  },
};
