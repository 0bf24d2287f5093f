import { describe, expect, it } from '@jest/globals';
import sanitizeHtml from 'sanitize-html';
import { renderContentHtml } from './content-html.js';
import { CONTENT_HTML_ALLOWLIST } from './html-allowlist.js';

/** Notion writes one block per line. */
const render = (...lines: string[]): string => renderContentHtml(lines.join('\n'));
const html = (...lines: string[]): string => `${lines.join('\n')}\n`;

const REL = 'rel="noopener noreferrer nofollow"';

describe('renderContentHtml: ordinary Markdown', () => {
  it('renders headings, one paragraph per line, and `---` under a line as a divider (never a setext heading)', () => {
    expect(render('# Title', 'First line', 'Second line', '---', '#### Four')).toBe(
      html('<h1>Title</h1>', '<p>First line</p>', '<p>Second line</p>', '<hr />', '<h4>Four</h4>'),
    );
  });

  it('renders bullet and numbered lists, nested by a tab', () => {
    expect(render('- a', '- b', '\t- b1', '3. three', '4. four')).toBe(
      html(
        '<ul>',
        '<li>a</li>',
        '<li>b',
        '<ul>',
        '<li>b1</li>',
        '</ul>',
        '</li>',
        '</ul>',
        '<ol start="3">',
        '<li>three</li>',
        '<li>four</li>',
        '</ol>',
      ),
    );
  });

  it('renders emphasis, strikethrough, code, links, a mailto, a fragment and an image', () => {
    expect(
      render(
        '**b** *i* ~~s~~ `c` [l](https://ok.example/a?x=1&y=2 "T") [m](mailto:a@b.example) [f](#part) ![alt](https://ok.example/i.png)',
      ),
    ).toBe(
      html(
        `<p><strong>b</strong> <em>i</em> <s>s</s> <code>c</code> <a href="https://ok.example/a?x=1&amp;y=2" title="T" ${REL}>l</a> ` +
          `<a href="mailto:a@b.example" ${REL}>m</a> <a href="#part" ${REL}>f</a> <img src="https://ok.example/i.png" alt="alt" /></p>`,
      ),
    );
  });

  it('renders fenced code with its language as a class and its HTML as text', () => {
    expect(render('```ts', "const tag = '<b>';", '```')).toBe(
      html('<pre><code class="language-ts">const tag = \'&lt;b&gt;\';', '</code></pre>'),
    );
  });

  it('renders a GFM table, its alignment as classes (never a style)', () => {
    expect(render('| a | b |', '|:--|--:|', '| 1 | 2 |')).toBe(
      html(
        '<table>',
        '<thead>',
        '<tr>',
        '<th class="notion-align-left">a</th>',
        '<th class="notion-align-right">b</th>',
        '</tr>',
        '</thead>',
        '<tbody>',
        '<tr>',
        '<td class="notion-align-left">1</td>',
        '<td class="notion-align-right">2</td>',
        '</tr>',
        '</tbody>',
        '</table>',
      ),
    );
  });

  it('renders a quote; each following line is a block of its own', () => {
    expect(render('> Quoted', 'After')).toBe(html('<blockquote>', '<p>Quoted</p>', '</blockquote>', '<p>After</p>'));
  });

  it('shows backslash escapes as the characters (Notion escapes its special characters in text)', () => {
    expect(render('\\*not bold\\* \\<span\\> \\$5 \\{x\\}')).toBe(html('<p>*not bold* &lt;span&gt; $5 {x}</p>'));
  });

  it('is the same for the same input (citation numbers start again)', () => {
    expect(renderContentHtml('[^https://a.example/]')).toBe(renderContentHtml('[^https://a.example/]'));
  });
});

describe("renderContentHtml: Notion's tags", () => {
  it('turns a block colour `{color="…"}` into a class on the block (list items and quotes included)', () => {
    expect(
      render(
        'Text {color="red"}',
        '## Heading {color="Blue_bg"}',
        '- item {color="gray_background"}',
        '> quote {color="green"}',
        'Plain {color="chartreuse"}',
      ),
    ).toBe(
      html(
        '<p class="notion-color-red">Text</p>',
        '<h2 class="notion-color-blue_bg">Heading</h2>',
        '<ul>',
        '<li class="notion-color-gray_bg">item</li>',
        '</ul>',
        '<blockquote class="notion-color-green">',
        '<p>quote</p>',
        '</blockquote>',
        '<p>Plain</p>',
      ),
    );
  });

  it('renders to-dos with a disabled checkbox, and an item’s children under its text', () => {
    expect(render('- [ ] open', '- [x] done {color="red"}', '\tchild')).toBe(
      html(
        '<ul>',
        '<li class="notion-to-do"><input type="checkbox" disabled /> open</li>',
        '<li class="notion-color-red notion-to-do"><input type="checkbox" disabled checked /> done',
        '<p>child</p>',
        '</li>',
        '</ul>',
      ),
    );
  });

  it('renders a toggle as <details> with its summary and indented children', () => {
    expect(
      render('<details color="gray">', '<summary>Toggle **title**</summary>', '\tChild', '\t- item', '</details>'),
    ).toBe(
      html(
        '<details class="notion-toggle notion-color-gray">',
        '<summary>Toggle <strong>title</strong></summary>',
        '<p>Child</p>',
        '<ul>',
        '<li>item</li>',
        '</ul>',
        '</details>',
      ),
    );
  });

  it('renders nested toggles and keeps a closing tag inside fenced code as code', () => {
    expect(
      render(
        '<details>',
        '<summary>Outer</summary>',
        '\t<details>',
        '\t<summary>Inner</summary>',
        '\t\t```html',
        '\t\t</details>',
        '\t\t```',
        '\t</details>',
        '\tAfter',
        '</details>',
      ),
    ).toBe(
      html(
        '<details class="notion-toggle">',
        '<summary>Outer</summary>',
        '<details class="notion-toggle">',
        '<summary>Inner</summary>',
        '<pre><code class="language-html">&lt;/details&gt;',
        '</code></pre>',
        '</details>',
        '<p>After</p>',
        '</details>',
      ),
    );
  });

  it('renders a toggle heading as <details> whose summary is the heading', () => {
    expect(render('## Section {toggle="true" color="purple"}', '\tInside', 'Outside')).toBe(
      html(
        '<details class="notion-toggle-heading">',
        '<summary>',
        '<h2 class="notion-color-purple">Section</h2>',
        '</summary>',
        '<p>Inside</p>',
        '</details>',
        '<p>Outside</p>',
      ),
    );
  });

  it('renders a callout (tag form) as <aside> with its emoji icon as text', () => {
    expect(render('<callout icon="💡" color="gray_bg">', '\tCallout **text**', '\tSecond', '</callout>')).toBe(
      html(
        '<aside class="notion-callout notion-color-gray_bg"><span class="notion-callout-icon">💡</span><p>Callout <strong>text</strong></p>',
        '<p>Second</p>',
        '</aside>',
      ),
    );
  });

  it('renders a callout (fenced div form), with an http(s) icon as an image, and an empty one', () => {
    expect(
      render(
        '::: callout {icon="https://ok.example/i.png" color="red_bg"}',
        'Fenced',
        ':::',
        '<callout color="blue_bg">',
        '<empty-block/>',
        '</callout>',
      ),
    ).toBe(
      html(
        '<aside class="notion-callout notion-color-red_bg"><img class="notion-callout-icon" src="https://ok.example/i.png" alt="" /><p>Fenced</p>',
        '</aside>',
        '<aside class="notion-callout notion-color-blue_bg">',
        '<p></p>',
        '</aside>',
      ),
    );
  });

  it('renders columns as <div>s', () => {
    expect(
      render(
        '<columns>',
        '\t<column>',
        '\t\tLeft',
        '\t</column>',
        '\t<column>',
        '\t\tRight',
        '\t</column>',
        '</columns>',
      ),
    ).toBe(
      html(
        '<div class="notion-columns">',
        '<div class="notion-column">',
        '<p>Left</p>',
        '</div>',
        '<div class="notion-column">',
        '<p>Right</p>',
        '</div>',
        '</div>',
      ),
    );
  });

  it('renders a table: header row, header column, colours (cell over row over column), rich text in cells', () => {
    expect(
      render(
        '<table fit-page-width="true" header-row="true" header-column="true">',
        '\t<colgroup>',
        '\t\t<col color="blue">',
        '\t\t<col>',
        '\t</colgroup>',
        '\t<tr color="gray_bg">',
        '\t\t<td>Name</td>',
        '\t\t<td color="red">Value</td>',
        '\t</tr>',
        '\t<tr>',
        '\t\t<td>**a**<br>b</td>',
        '\t\t<td><mention-user url="user://1">Ann</mention-user></td>',
        '\t</tr>',
        '</table>',
      ),
    ).toBe(
      html(
        '<table class="notion-table">',
        '<thead>',
        '<tr>',
        '<th class="notion-color-gray_bg">Name</th>',
        '<th class="notion-color-red">Value</th>',
        '</tr>',
        '</thead>',
        '<tbody>',
        '<tr>',
        '<th class="notion-color-blue"><strong>a</strong><br />',
        'b</th>',
        '<td><span class="notion-mention notion-mention-user">@Ann</span></td>',
        '</tr>',
        '</tbody>',
        '</table>',
      ),
    );
  });

  it('renders <empty-block/> as an empty paragraph', () => {
    expect(render('Before', '<empty-block/>', 'After')).toBe(html('<p>Before</p>', '<p></p>', '<p>After</p>'));
  });

  it('renders child pages and databases as links (text when the URL is not http(s))', () => {
    expect(
      render(
        '<page url="https://www.notion.so/abc" color="yellow">Child *page*</page>',
        '<page url="https://www.notion.so/untitled"></page>',
        '<database url="https://www.notion.so/db" inline="true" icon="📚">Books</database>',
        '<database data-source-url="collection://abc" inline="true">Linked view</database>',
      ),
    ).toBe(
      html(
        `<p class="notion-page notion-color-yellow"><a href="https://www.notion.so/abc" ${REL}>Child <em>page</em></a></p>`,
        `<p class="notion-page"><a href="https://www.notion.so/untitled" ${REL}>Untitled</a></p>`,
        `<p class="notion-database"><a href="https://www.notion.so/db" ${REL}>Books</a></p>`,
        '<p class="notion-database">Linked view</p>',
      ),
    );
  });

  it('renders audio, video, file and pdf as a link to their src (the src as text without a caption)', () => {
    expect(
      render(
        '<audio src="https://ok.example/a.mp3">Song</audio>',
        '<video src="https://ok.example/v.mp4" color="red">Demo</video>',
        '<file src="https://ok.example/f.zip"></file>',
        '<pdf src="https://ok.example/d.pdf"/>',
      ),
    ).toBe(
      html(
        `<p class="notion-audio"><a href="https://ok.example/a.mp3" ${REL}>Song</a></p>`,
        `<p class="notion-video notion-color-red"><a href="https://ok.example/v.mp4" ${REL}>Demo</a></p>`,
        `<p class="notion-file"><a href="https://ok.example/f.zip" ${REL}>https://ok.example/f.zip</a></p>`,
        `<p class="notion-pdf"><a href="https://ok.example/d.pdf" ${REL}>https://ok.example/d.pdf</a></p>`,
      ),
    );
  });

  it('renders an <unknown/> block as a link named by its alt', () => {
    expect(
      render(
        '<unknown url="https://www.notion.so/p#b1" alt="bookmark"/>',
        '<unknown url="https://www.notion.so/p#b2"/>',
      ),
    ).toBe(
      html(
        `<p class="notion-unknown"><a href="https://www.notion.so/p#b1" ${REL}>bookmark</a></p>`,
        `<p class="notion-unknown"><a href="https://www.notion.so/p#b2" ${REL}>Unsupported block</a></p>`,
      ),
    );
  });

  it('renders <table_of_contents/> as links to the headings, which get ids for it', () => {
    expect(render('<table_of_contents color="gray"/>', '# One', '## Two `x`')).toBe(
      html(
        '<nav class="notion-table-of-contents notion-color-gray">',
        '<ul>',
        `<li class="notion-toc-level-1"><a href="#notion-heading-1" ${REL}>One</a></li>`,
        `<li class="notion-toc-level-2"><a href="#notion-heading-2" ${REL}>Two x</a></li>`,
        '</ul>',
        '</nav>',
        '<h1 id="notion-heading-1">One</h1>',
        '<h2 id="notion-heading-2">Two <code>x</code></h2>',
      ),
    );
  });

  it('renders synced blocks and meeting notes as <div>s and a <section>', () => {
    expect(
      render(
        '<synced_block url="https://www.notion.so/s">',
        '\tShared',
        '</synced_block>',
        '<synced_block_reference url="https://www.notion.so/s">',
        '\tCopy',
        '</synced_block_reference>',
        '<meeting-notes>',
        '\tStandup',
        '\t<summary>',
        '\t\tSummary',
        '\t</summary>',
        '\t<notes>',
        '\t\tNotes',
        '\t</notes>',
        '\t<transcript>',
        '\t\tWords',
        '\t</transcript>',
        '</meeting-notes>',
      ),
    ).toBe(
      html(
        '<div class="notion-synced-block">',
        '<p>Shared</p>',
        '</div>',
        '<div class="notion-synced-block-reference">',
        '<p>Copy</p>',
        '</div>',
        '<section class="notion-meeting-notes">',
        '<p>Standup</p>',
        '<div class="notion-meeting-notes-summary">',
        '<p>Summary</p>',
        '</div>',
        '<div class="notion-meeting-notes-notes">',
        '<p>Notes</p>',
        '</div>',
        '<div class="notion-meeting-notes-transcript">',
        '<p>Words</p>',
        '</div>',
        '</section>',
      ),
    );
  });

  it('shows equations (block and inline) as their TeX source', () => {
    expect(render('$$', 'E = mc^2', '$$', '$$a+b$$', 'Inline $x^2$ and $`a*b*c`$, not \\$5 or a$b$')).toBe(
      html(
        '<pre class="notion-equation">E = mc^2</pre>',
        '<pre class="notion-equation">a+b</pre>',
        '<p>Inline <span class="notion-equation">x^2</span> and <span class="notion-equation">a*b*c</span>, not $5 or a$b$</p>',
      ),
    );
  });

  it('renders <br>, coloured and underlined spans', () => {
    expect(
      render('<span color="red">red **bold**</span> <span underline="true" color="blue_bg">both</span> a<br>b'),
    ).toBe(
      html(
        '<p><span class="notion-color-red">red <strong>bold</strong></span> <u class="notion-color-blue_bg">both</u> a<br />',
        'b</p>',
      ),
    );
  });

  it('renders mentions: pages, databases, data sources and agents as links, users and dates as text', () => {
    expect(
      render(
        '<mention-user url="user://u1">Ann</mention-user> <mention-user url="user://u2"/> ' +
          '<mention-page url="https://www.notion.so/p">Plan</mention-page> <mention-database url="https://www.notion.so/d"/> ' +
          '<mention-data-source url="collection://ds">Rows</mention-data-source> <mention-agent url="https://www.notion.so/a">Bot</mention-agent> ' +
          '<mention-date start="2026-09-05"/> <mention-date start="2026-10-01" startTime="09:00" end="2026-10-05" endTime="18:00" timeZone="Asia/Seoul"/>',
      ),
    ).toBe(
      html(
        '<p><span class="notion-mention notion-mention-user">@Ann</span> <span class="notion-mention notion-mention-user">@user</span> ' +
          `<a class="notion-mention notion-mention-page" href="https://www.notion.so/p" ${REL}>Plan</a> ` +
          `<a class="notion-mention notion-mention-database" href="https://www.notion.so/d" ${REL}>https://www.notion.so/d</a> ` +
          '<span class="notion-mention notion-mention-data-source">Rows</span> ' +
          `<a class="notion-mention notion-mention-agent" href="https://www.notion.so/a" ${REL}>Bot</a> ` +
          '<span class="notion-mention notion-mention-date">2026-09-05</span> ' +
          '<span class="notion-mention notion-mention-date">2026-10-01 09:00 → 2026-10-05 18:00 (Asia/Seoul)</span></p>',
      ),
    );
  });

  it('keeps a mention inside a Markdown link as text (no nested links)', () => {
    expect(render('[<mention-page url="https://www.notion.so/p">Plan</mention-page>](https://ok.example/)')).toBe(
      html(
        `<p><a href="https://ok.example/" ${REL}><span class="notion-mention notion-mention-page">Plan</span></a></p>`,
      ),
    );
  });

  it('numbers citations and links them', () => {
    expect(render('Claim [^https://ok.example/a] and [^https://ok.example/b]')).toBe(
      html(
        `<p>Claim <sup class="notion-citation"><a href="https://ok.example/a" ${REL}>[1]</a></sup> ` +
          `and <sup class="notion-citation"><a href="https://ok.example/b" ${REL}>[2]</a></sup></p>`,
      ),
    );
  });

  it('puts the indented children of a quote inside it, and those of a paragraph after it', () => {
    expect(render('> Quote', '\tQuote child', 'Paragraph', '\tChild', '\t- Child item')).toBe(
      html(
        '<blockquote>',
        '<p>Quote</p>',
        '<p>Quote child</p>',
        '</blockquote>',
        '<p>Paragraph</p>',
        '<div class="notion-children">',
        '<p>Child</p>',
        '<ul>',
        '<li>Child item</li>',
        '</ul>',
        '</div>',
      ),
    );
  });

  it('leaves custom emoji as text', () => {
    expect(render('Ship it :rocket_custom:')).toBe(html('<p>Ship it :rocket_custom:</p>'));
  });
});

/** Every tag, attribute and URL in `output` is one the allowlist permits, and no `<` is left unescaped. */
function expectOnlyAllowed(output: string): void {
  const tags = new Set(CONTENT_HTML_ALLOWLIST.allowedTags || []);
  const attributes = new Set([
    'class',
    'href',
    'title',
    'rel',
    'src',
    'alt',
    'type',
    'checked',
    'disabled',
    'start',
    'id',
  ]);
  const tag = /<\/?([a-z][a-z0-9]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*\/?>/g;
  for (const [, name, attributeSource] of output.matchAll(tag)) {
    expect(tags).toContain(name);
    for (const [, attribute, value = ''] of attributeSource.matchAll(/\s([a-z-]+)(?:="([^"]*)")?/g)) {
      expect(attributes).toContain(attribute);
      const url = value.replaceAll('&amp;', '&');
      if (attribute === 'href') expect(url).toMatch(/^(https?:\/\/|mailto:|#)/);
      if (attribute === 'src') expect(url).toMatch(/^https?:\/\//);
      if (name === 'a' && attribute === 'rel') expect(value).toBe('noopener noreferrer nofollow');
    }
  }
  expect(output.replace(tag, '')).not.toMatch(/</);
}

// [name, Markdown, exact HTML]
const ATTACKS: [string, string, string][] = [
  ['a script tag', '<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n'],
  ['a script tag in text', 'Hi <script>alert(1)</script>!', '<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;!</p>\n'],
  ['<img onerror>', '<img src=x onerror=alert(1)>', '<p>&lt;img src=x onerror=alert(1)&gt;</p>\n'],
  ['a raw link', '<a href="javascript:alert(1)">x</a>', '<p>&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;</p>\n'],
  [
    'an iframe',
    '<iframe src="https://evil.example"></iframe>',
    '<p>&lt;iframe src="https://evil.example"&gt;&lt;/iframe&gt;</p>\n',
  ],
  ['svg', '<svg onload=alert(1)><circle/></svg>', '<p>&lt;svg onload=alert(1)&gt;&lt;circle/&gt;&lt;/svg&gt;</p>\n'],
  [
    'a form',
    '<form action="https://evil.example"><input name=q></form>',
    '<p>&lt;form action="https://evil.example"&gt;&lt;input name=q&gt;&lt;/form&gt;</p>\n',
  ],
  [
    'object and embed',
    '<object data="x.swf"></object><embed src="x">',
    '<p>&lt;object data="x.swf"&gt;&lt;/object&gt;&lt;embed src="x"&gt;</p>\n',
  ],
  [
    'a style attribute',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p>&lt;div style="background:url(javascript:alert(1))"&gt;x&lt;/div&gt;</p>\n',
  ],
  [
    'a split script tag',
    '<scr<script>ipt>alert(1)</script>',
    '<p>&lt;scr&lt;script&gt;ipt&gt;alert(1)&lt;/script&gt;</p>\n',
  ],
  [
    'a raw <details ontoggle>',
    '<details open ontoggle=alert(1)>\n<summary>x</summary>\n</details>',
    '<p>&lt;details open ontoggle=alert(1)&gt;</p>\n<p>&lt;summary&gt;x&lt;/summary&gt;</p>\n<p>&lt;/details&gt;</p>\n',
  ],
  ['a javascript: link', '[x](javascript:alert(1))', '<p>[x](javascript:alert(1))</p>\n'],
  ['a mixed-case javascript: link', '[x](JaVaScRiPt:alert(1))', '<p>[x](JaVaScRiPt:alert(1))</p>\n'],
  ['an entity-encoded scheme', '[x](&#106;avascript:alert(1))', '<p>[x](javascript:alert(1))</p>\n'],
  ['an entity-encoded colon', '[x](&#x6A;avascript&colon;alert(1))', '<p>[x](javascript:alert(1))</p>\n'],
  ['a tab inside the scheme', '[x](java&#x09;script:alert(1))', '<p>[x](java\tscript:alert(1))</p>\n'],
  ['a bracketed javascript: link', '[x](<javascript:alert(1)>)', '<p>[x](&lt;javascript:alert(1)&gt;)</p>\n'],
  ['a vbscript: link', '[x](vbscript:msgbox(1))', '<p>[x](vbscript:msgbox(1))</p>\n'],
  ['a data: link', '[x](data:text/html;base64,PHNjcmlwdD4=)', '<p>[x](data:text/html;base64,PHNjcmlwdD4=)</p>\n'],
  ['a javascript: image', '![x](javascript:alert(1))', '<p>![x](javascript:alert(1))</p>\n'],
  ['a data: image', '![x](data:image/png;base64,iVBORw0KGgo=)', '<p>![x](data:image/png;base64,iVBORw0KGgo=)</p>\n'],
  [
    'an SVG data: image',
    '![x](data:image/svg+xml,<svg onload=alert(1)>)',
    '<p>![x](data:image/svg+xml,&lt;svg onload=alert(1)&gt;)</p>\n',
  ],
  ['a mailto: image', '![x](mailto:a@b.example)', '<p><span>x</span></p>\n'],
  ['a javascript: autolink', '<javascript:alert(1)>', '<p>&lt;javascript:alert(1)&gt;</p>\n'],
  ['a javascript: reference', '[x][r]\n\n[r]: javascript:alert(1)', '<p>[x][r]</p>\n<p>[r]: javascript:alert(1)</p>\n'],
  [
    'a quote breaking out of href',
    '[x](https://ok.example/"onmouseover="alert(1))',
    `<p><a href="https://ok.example/%22onmouseover=%22alert(1)" ${REL}>x</a></p>\n`,
  ],
  ['a protocol-relative link', '[x](//evil.example/path)', '<p>[x](//evil.example/path)</p>\n'],
  ['a javascript: page', '<page url="javascript:alert(1)">P</page>', '<p class="notion-page">P</p>\n'],
  ['an entity-encoded page URL', '<page url="&#106;avascript:alert(1)">P</page>', '<p class="notion-page">P</p>\n'],
  [
    'a newline inside a page URL scheme',
    '<page url="java&#x0A;script:alert(1)">P</page>',
    '<p class="notion-page">P</p>\n',
  ],
  [
    'a padded upper-case database URL',
    '<database url=" JAVASCRIPT:alert(1)">D</database>',
    '<p class="notion-database">D</p>\n',
  ],
  [
    'a data: video',
    '<video src="data:text/html,<script>alert(1)</script>">V</video>',
    '<p class="notion-video">V</p>\n',
  ],
  ['a vbscript: audio', '<audio src="vbscript:x">A</audio>', '<p class="notion-audio">A</p>\n'],
  ['a protocol-relative file', '<file src="//evil.example/f">F</file>', '<p class="notion-file">F</p>\n'],
  [
    'an event handler on a pdf',
    '<pdf src="https://ok.example/a.pdf" onclick="alert(1)">PDF</pdf>',
    `<p class="notion-pdf"><a href="https://ok.example/a.pdf" ${REL}>PDF</a></p>\n`,
  ],
  ['a javascript: unknown block', '<unknown url="javascript:alert(1)" alt="U"/>', '<p class="notion-unknown">U</p>\n'],
  [
    'a javascript: mention',
    '<mention-page url="javascript:alert(1)">M</mention-page>',
    '<p><span class="notion-mention notion-mention-page">M</span></p>\n',
  ],
  ['a javascript: citation', '[^javascript:alert(1)]', '<p><sup class="notion-citation">[1]</sup></p>\n'],
  [
    'a javascript: callout icon',
    '<callout icon="javascript:alert(1)">\n\tx\n</callout>',
    '<aside class="notion-callout"><span class="notion-callout-icon">javascript:alert(1)</span><p>x</p>\n</aside>\n',
  ],
  [
    'raw HTML inside a callout',
    '<callout>\n\t<script>alert(1)</script>\n\t<img src=x onerror=alert(1)>\n</callout>',
    '<aside class="notion-callout">\n<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>&lt;img src=x onerror=alert(1)&gt;</p>\n</aside>\n',
  ],
  [
    'raw HTML inside a toggle',
    '<details>\n<summary><b onclick=alert(1)>T</b></summary>\n\t<iframe src=x></iframe>\n</details>',
    '<details class="notion-toggle">\n<summary>&lt;b onclick=alert(1)&gt;T&lt;/b&gt;</summary>\n<p>&lt;iframe src=x&gt;&lt;/iframe&gt;</p>\n</details>\n',
  ],
  [
    'raw HTML inside a table',
    '<table>\n<tr><td><script>alert(1)</script></td><td onclick="x">[l](javascript:x)</td></tr>\n</table>',
    '<table class="notion-table">\n<tbody>\n<tr>\n<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>\n<td>[l](javascript:x)</td>\n</tr>\n</tbody>\n</table>\n',
  ],
  [
    'raw HTML as a page title',
    '<page url="https://ok.example/p"><img src=x onerror=alert(1)></page>',
    `<p class="notion-page"><a href="https://ok.example/p" ${REL}>&lt;img src=x onerror=alert(1)&gt;</a></p>\n`,
  ],
  [
    'handlers and style on a span',
    '<span color="red" onclick="alert(1)" style="color:red"><script>alert(1)</script></span>',
    '<p><span class="notion-color-red">&lt;script&gt;alert(1)&lt;/script&gt;</span></p>\n',
  ],
  [
    'raw HTML as a user name',
    '<mention-user url="user://1"><img src=x onerror=alert(1)></mention-user>',
    '<p><span class="notion-mention notion-mention-user">@&lt;img src=x onerror=alert(1)&gt;</span></p>\n',
  ],
  ['a quote breaking out of a colour', `<span color='red" onmouseover="alert(1)'>q</span>`, '<p><span>q</span></p>\n'],
  ['a handler in a block colour', 'Text {color="red onmouseover=alert(1)"}', '<p>Text</p>\n'],
  [
    'an entity-encoded quote in a colour',
    '<callout color="red&quot; onclick=&quot;alert(1)">\n\tx\n</callout>',
    '<aside class="notion-callout">\n<p>x</p>\n</aside>\n',
  ],
  [
    'an unclosed toggle',
    '<details>\n<summary>unclosed</summary>\n\t<script>x</script>',
    '<p>&lt;details&gt;</p>\n<p>&lt;summary&gt;unclosed&lt;/summary&gt;</p>\n<div class="notion-children">\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n</div>\n',
  ],
  [
    'an unclosed outer callout',
    '<callout>\n\t<callout>\n\t\tinner\n\t</callout>',
    '<p>&lt;callout&gt;</p>\n<div class="notion-children">\n<aside class="notion-callout">\n<p>inner</p>\n</aside>\n</div>\n',
  ],
  ['an unclosed span', '<span color="red"><span>half</span>', '<p>&lt;span color="red"&gt;<span>half</span></p>\n'],
  ['stray closing tags', '</span></details></callout>', '<p>&lt;/span&gt;&lt;/details&gt;&lt;/callout&gt;</p>\n'],
  [
    'an unclosed column',
    '<columns>\n\t<column>\n\t\t<script>x</script>\n</columns>',
    '<div class="notion-columns">\n<p>&lt;column&gt;</p>\n<div class="notion-children">\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n</div>\n</div>\n',
  ],
  [
    'a tag in an equation',
    '$<img src=x onerror=alert(1)>$',
    '<p><span class="notion-equation">&lt;img src=x onerror=alert(1)&gt;</span></p>\n',
  ],
  [
    'a tag in a block equation',
    '$$\n<script>alert(1)</script>\n$$',
    '<pre class="notion-equation">&lt;script&gt;alert(1)&lt;/script&gt;</pre>\n',
  ],
  ['a tag as a code language', '```<script>\nx\n```', '<pre><code>x\n</code></pre>\n'],
];

describe('renderContentHtml: XSS', () => {
  it.each(ATTACKS)('renders %s harmlessly', (_name, markdown, expected) => {
    expect(renderContentHtml(markdown)).toBe(expected);
  });

  it('leaves no element, attribute or URL outside the allowlist in any of them, nor in every Notion tag at once', () => {
    const everything = [
      ...ATTACKS.map(([, markdown]) => markdown),
      '<callout icon="💡">\n\t<details>\n\t<summary>S</summary>\n\t\t<columns>\n\t\t\t<column>\n\t\t\t\t<page url="https://www.notion.so/x">P</page>\n\t\t\t</column>\n\t\t</columns>\n\t</details>\n</callout>',
      '<table_of_contents/>\n# H <span color="red">r</span>\n- [x] <mention-page url="https://www.notion.so/p">p</mention-page> [^https://ok.example/]',
    ];
    for (const markdown of everything) expectOnlyAllowed(renderContentHtml(markdown));
    expectOnlyAllowed(renderContentHtml(everything.join('\n')));
  });

  it('the checker itself refuses what it must', () => {
    expect(() => expectOnlyAllowed('<p onclick="x">a</p>')).toThrow();
    expect(() => expectOnlyAllowed('<a href="javascript:x">a</a>')).toThrow();
    expect(() => expectOnlyAllowed('<script>x</script>')).toThrow();
    expect(() => expectOnlyAllowed('<p>a <b</p>')).toThrow();
  });
});

describe('CONTENT_HTML_ALLOWLIST: the sanitizer on its own, for HTML the renderer never writes', () => {
  it.each([
    ['<p>ok <script>alert(1)</script></p>', '<p>ok &lt;script&gt;alert(1)&lt;/script&gt;</p>'],
    ['<a href="javascript:alert(1)">x</a>', '<span>x</span>'],
    ['<a href="&#106;avascript:alert(1)">x</a>', '<span>x</span>'],
    ['<a href="java&#x09;script:alert(1)">x</a>', '<span>x</span>'],
    ['<a href=" JAVASCRIPT:alert(1)">x</a>', '<span>x</span>'],
    ['<a href="vbscript:x">x</a>', '<span>x</span>'],
    ['<a href="data:text/html,x">x</a>', '<span>x</span>'],
    ['<a href="/relative">x</a>', '<span>x</span>'],
    ['<a href="//evil.example">x</a>', '<span>x</span>'],
    [
      '<a href="https://ok.example" target="_blank" rel="opener" onclick="x">x</a>',
      `<a href="https://ok.example/" ${REL}>x</a>`,
    ],
    ['<img src="x" onerror="alert(1)" alt="a">', '<span>a</span>'],
    ['<img src="javascript:alert(1)" alt="j">', '<span>j</span>'],
    ['<img src="data:image/png;base64,AAAA" alt="d">', '<span>d</span>'],
    [
      '<img src="https://ok.example/i.png" onerror="alert(1)" style="width:1px">',
      '<img src="https://ok.example/i.png" alt="" />',
    ],
    [
      '<div style="color:red" onmouseover="x" class="notion-callout evil">d</div>',
      '<div class="notion-callout">d</div>',
    ],
    ['<svg><script>alert(1)</script></svg>', '&lt;svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;'],
    ['<iframe src="https://x"></iframe>', '&lt;iframe&gt;&lt;/iframe&gt;'],
    [
      '<form><input type="text" name="q" onfocus="x" autofocus></form>',
      '&lt;form&gt;<input type="checkbox" disabled />&lt;/form&gt;',
    ],
    ['<h2 id="x">h</h2><h2 id="notion-heading-3">ok</h2>', '<h2>h</h2><h2 id="notion-heading-3">ok</h2>'],
    ['<math><mi xlink:href="javascript:alert(1)">x</mi></math>', '&lt;math&gt;&lt;mi&gt;x&lt;/mi&gt;&lt;/math&gt;'],
    ['<details open ontoggle="alert(1)"><summary>s</summary></details>', '<details><summary>s</summary></details>'],
    [
      '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
      '&lt;noscript&gt;<p></p>&lt;/noscript&gt;',
    ],
  ])('%s', (input, expected) => {
    expect(sanitizeHtml(input, CONTENT_HTML_ALLOWLIST)).toBe(expected);
  });
});
