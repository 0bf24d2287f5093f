import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { CONTENT_HTML_ALLOWLIST } from './html-allowlist.js';
import { notionBlocks } from './notion-blocks.js';
import { notionInline } from './notion-inline.js';
import { notionStructure } from './notion-structure.js';
import { safeUrl } from './notion-tags.js';

/*
 * Notion's enhanced Markdown ("Notion-flavored Markdown"), as returned by
 * GET /v1/pages/{id}/markdown. Sources: https://developers.notion.com/guides/data-apis/enhanced-markdown
 * and https://developers.notion.com/reference/retrieve-page-markdown (the
 * `<unknown>` tags). One line is one block; children are indented one tab
 * deeper than their parent; `\` escapes \ * ~ ` $ [ ] < > { } | ^ outside code.
 *
 * What it writes, and what each becomes here:
 *
 *   Rich text {color="C"}             a block colour at the end of a block's first line (paragraph,
 *                                     heading, list item, to-do, quote, image)  -> class notion-color-C
 *   # Heading {toggle="true"}         toggle heading, children indented          -> <details><summary><h1>
 *   - [ ] / - [x] item                to-do                                      -> <li class="notion-to-do"><input type=checkbox disabled>
 *   <details color><summary>T</summary> … </details>   toggle                  -> <details class="notion-toggle"><summary>
 *   <callout icon color> … </callout>, or ::: callout {icon="" color=""} … :::   -> <aside class="notion-callout">, icon as text (or <img> if http(s))
 *   <columns><column> … </column></columns>                                     -> <div class="notion-columns"><div class="notion-column">
 *   <table fit-page-width header-row header-column> <colgroup><col color></colgroup>
 *     <tr color><td color>rich text</td></tr> </table>                          -> <table class="notion-table">, header row in <thead>, cell > row > column colour
 *   <empty-block/>                    an empty line                              -> <p></p>
 *   <page url color>Title</page>      child page                                 -> <p class="notion-page"><a href>
 *   <database url|data-source-url inline icon color>Title</database>            -> <p class="notion-database"><a href> (a collection:// URL gives text)
 *   <audio|video|file|pdf src color>Caption</…>   media                         -> <p class="notion-video"><a href=src>caption or src</a>
 *   <unknown url alt/>                a block the endpoint cannot render         -> <p class="notion-unknown"><a href=url>alt</a>
 *   <table_of_contents color/>                                                   -> <nav class="notion-table-of-contents"> listing the headings
 *   <synced_block url>, <synced_block_reference url> … </…>                      -> <div class="notion-synced-block(-reference)">
 *   <meeting-notes> with <summary>, <notes>, <transcript> parts                  -> <section class="notion-meeting-notes"> with <div>s
 *   $$ … $$ (block), $x$ or $`x`$ (inline) equations                             -> <pre|span class="notion-equation"> with the TeX as text
 *   <br>                              line break inside a block                  -> <br>
 *   <span color="C" underline="true">text</span>                                 -> <span class="notion-color-C">, <u> when underlined
 *   <mention-user url>Name</mention-user>, or <mention-user url/>                -> <span class="notion-mention notion-mention-user">@Name
 *   <mention-page|mention-database|mention-data-source|mention-agent url>Title</…>  -> <a class="notion-mention …" href> (text when not http(s))
 *   <mention-date start end startTime endTime timeZone/>                         -> <span class="notion-mention notion-mention-date">
 *   [^URL]                            citation                                   -> <sup class="notion-citation"><a href>[n]</a></sup>
 *   :emoji_name:                      custom emoji                               -> left as text
 *
 * Colours: gray brown orange yellow green blue purple pink red, each also as
 * `<colour>_bg`. Everything else is CommonMark with GFM tables and
 * strikethrough, and any other tag is shown as text.
 */

const markdown = new MarkdownIt('default', { html: false, linkify: false, typographer: false })
  .use(notionBlocks)
  .use(notionInline)
  .use(notionStructure);
markdown.disable(['html_block', 'html_inline']);
// Images pass here too; the allowlist narrows their src to http(s) afterwards.
markdown.validateLink = (url) => safeUrl(url, 'link') !== undefined;

/**
 * A page body (Notion's enhanced Markdown) as HTML that is safe to insert in a
 * page: rendered by markdown-it with Notion's tags mapped to plain elements
 * (`class="notion-…"`, never a `style`), raw HTML escaped, then passed through
 * an allowlist sanitizer (sanitize-html): no scripts, event handlers, styles,
 * frames, forms or SVG; `href` only http, https, mailto or a `#` fragment, `img
 * src` only http or https; links carry `rel="noopener noreferrer nofollow"`.
 * Pure and synchronous.
 */
export function renderContentHtml(source: string): string {
  return sanitizeHtml(markdown.render(source, {}), CONTENT_HTML_ALLOWLIST);
}
