import { describe, expect, it } from '@jest/globals';
import {
  fileKey,
  notionHostedFile,
  rewriteMarkdownFiles,
  rewritePageFiles,
  stripMarkdownFiles,
  stripPageFiles,
  type PageFileParts,
} from './notion-files.js';

const SPACE = '3f2a9c1e-7b4d-4e0a-9d61-0c5b8f2e4a17';
const BUCKET = 'https://prod-files-secure.s3.us-west-2.amazonaws.com';

/** A Signature V4 presigned URL as the public API serves one (parameters in S3's order). */
function s3(path: string, options: { date?: string; expires?: string; sig?: string } = {}): string {
  const date = options.date ?? '20250424T214922Z';
  const query = [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256',
    'X-Amz-Content-Sha256=UNSIGNED-PAYLOAD',
    `X-Amz-Credential=ASIAZI2LB4667TNVXEXA%2F${date.slice(0, 8)}%2Fus-west-2%2Fs3%2Faws4_request`,
    `X-Amz-Date=${date}`,
    `X-Amz-Expires=${options.expires ?? '3600'}`,
    'X-Amz-Security-Token=IQoJb3JpZ2luX2VjEKr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLXdlc3QtMiJHMEUCIQDx',
    `X-Amz-Signature=${options.sig ?? '9b1f0c3e5d7a2b4c6e8f0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d'}`,
    'X-Amz-SignedHeaders=host',
    'x-id=GetObject',
  ];
  return `${BUCKET}${path}?${query.join('&')}`;
}

const IMAGE_PATH = `/${SPACE}/8d3e61f0-52a4-4c4b-a1f7-6e2c90b3d5a8/Untitled.png`;
const PDF_PATH = `/${SPACE}/0aa7c2de-1e35-4f6b-b9d2-47c81e5f3b60/Quarterly%20report%20(final).pdf`;
const IMAGE = BUCKET + IMAGE_PATH;
const PDF = BUCKET + PDF_PATH;

describe('notionHostedFile', () => {
  const OLD_BUCKET = 'https://s3.us-west-2.amazonaws.com/secure.notion-static.com';
  const NOTION_FILE = `https://file.notion.so/f/f/${SPACE}/0eec0986-71ed-46c3-bae4-c54d8668791c/image.png`;
  const FAKE_FILE = 'http://127.0.0.1:41234/_files/ws-1/f-2/a%20b.txt';
  /** [shape, signed URL, identity, expiry]. */
  const SHAPES: Array<[string, string, string, Date]> = [
    ['S3 Signature V4', s3(IMAGE_PATH), IMAGE, new Date('2025-04-24T22:49:22Z')],
    [
      'S3 Signature V4, another date and lifetime',
      s3(PDF_PATH, { date: '20251231T233000Z', expires: '7200' }),
      PDF,
      new Date('2026-01-01T01:30:00Z'),
    ],
    [
      'S3 Signature V4, the older bucket path',
      `${OLD_BUCKET}/7b8b0713-dbd4-4962-b38b-955b6c49a573/My_test_image.png?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
        '&X-Amz-Date=20221024T205211Z&X-Amz-Expires=3600&X-Amz-Signature=208aa971&X-Amz-SignedHeaders=host',
      `${OLD_BUCKET}/7b8b0713-dbd4-4962-b38b-955b6c49a573/My_test_image.png`,
      new Date('2022-10-24T21:52:11Z'),
    ],
    [
      'S3 Signature V4, any host and http (the fake Notion)',
      `${FAKE_FILE}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260301T120000Z&X-Amz-Expires=5&X-Amz-Signature=0f0e`,
      FAKE_FILE,
      new Date('2026-03-01T12:00:05Z'),
    ],
    [
      'S3 Signature V2, expiry from Expires (seconds)',
      `${OLD_BUCKET}/6077c30b-6aba-4805-a64c-c78514f87823/untitled` +
        '?AWSAccessKeyId=ASIAT73L2G45M3SUQFM7&Expires=1553074461&Signature=s9BedA%2FCjkS7YarzvdDJjjaXjJ8%3D',
      `${OLD_BUCKET}/6077c30b-6aba-4805-a64c-c78514f87823/untitled`,
      new Date(1553074461 * 1000),
    ],
    [
      "Notion's file.notion.so, expiry from expirationTimestamp (milliseconds)",
      `${NOTION_FILE}?table=block&id=29bb5c29-426f-484e-b334-1ad51efee56c&spaceId=${SPACE}` +
        '&expirationTimestamp=1729728000000&signature=2Opuo3e7zlTCug6cVD9IC8RZH4HBYE51o6WQouzgqr_&downloadName=image.png',
      NOTION_FILE,
      new Date(1729728000000),
    ],
  ];

  it.each(SHAPES)(
    'recognises %s: identity is origin and path, expiry as the URL says',
    (_shape, url, identity, expiresAt) => {
      expect(notionHostedFile(url)).toEqual({ identity, expiresAt });
    },
  );

  it('gives the same identity to two signatures of one file', () => {
    const first = notionHostedFile(s3(IMAGE_PATH, { date: '20250424T214922Z', sig: 'aa'.repeat(32) }));
    const second = notionHostedFile(s3(IMAGE_PATH, { date: '20250424T225001Z', sig: 'bb'.repeat(32) }));
    expect(second!.identity).toBe(first!.identity);
    expect(second!.expiresAt).not.toEqual(first!.expiresAt);
  });

  it('recognises a signed URL whose expiry it cannot read, with a null expiry', () => {
    for (const url of [
      s3(IMAGE_PATH, { date: '20251340T120000Z' }),
      s3(IMAGE_PATH, { date: '20250231T120000Z' }),
      s3(IMAGE_PATH, { date: '20250101T250000Z' }),
      s3(IMAGE_PATH, { date: '2025-01-01T12:00:00Z' }),
      s3(IMAGE_PATH, { expires: '-5' }),
      `${IMAGE}?X-Amz-Signature=abc`,
      'https://file.notion.so/f/s/x/y.png?signature=abc&expirationTimestamp=soon',
    ]) {
      expect(notionHostedFile(url)).toEqual({ identity: url.slice(0, url.indexOf('?')), expiresAt: null });
    }
  });

  it('leaves every other URL alone', () => {
    for (const url of [
      'https://images.unsplash.com/photo-1525310072745-f49212b5ac6d?ixlib=rb-1.2.1&auto=format&fit=crop&w=1065&q=80',
      IMAGE,
      `${IMAGE}?X-Amz-Date=20250424T214922Z&X-Amz-Expires=3600`,
      `${IMAGE}?Signature=abc&Expires=1553074461`,
      'https://example.com/f/f/x/y.png?signature=abc&expirationTimestamp=1729728000000',
      'https://file.notion.so/f/f/x/y.png?expirationTimestamp=1729728000000',
      `ftp://files.example.com/a.png?X-Amz-Signature=abc`,
      'https://exa mple.com/a.png?X-Amz-Signature=abc',
      'not a url?X-Amz-Signature=abc',
      '',
    ]) {
      expect(notionHostedFile(url)).toBeUndefined();
    }
  });
});

describe('fileKey', () => {
  it('is the first 22 characters of the base64url SHA-256 of the identity', () => {
    expect(fileKey('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7');
    expect(fileKey(IMAGE)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(fileKey(IMAGE)).not.toBe(fileKey(PDF));
  });
});

/** Freezes a JSON value all the way down: a mutation of it then throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** How a test page's hosted file object (`file: {…}`) reads, from its path in the bucket and Notion's `expiry_time`. */
type FileAt = (path: string, expiryTime?: string) => Record<string, unknown>;

/** Hosted files as Notion serves them, signed at `date`. */
const signedAt =
  (date: string, sig: string): FileAt =>
  (path, expiryTime) => ({
    url: s3(path, { date, sig }),
    ...(expiryTime === undefined ? {} : { expiry_time: expiryTime }),
  });
/** Hosted files as the mirror stores them. */
const stored: FileAt = (path) => ({ url: BUCKET + path });

/** A page's file-carrying parts, each hosted file object's `file` made by `file`. */
function pageParts(file: FileAt): PageFileParts {
  return {
    properties: {
      Name: { id: 'title', type: 'title', title: [{ type: 'text', plain_text: 'Launch' }] },
      Attachments: {
        id: 'a%3Bb',
        type: 'files',
        files: [
          { name: 'Untitled.png', type: 'file', file: file(IMAGE_PATH, '2025-04-24T22:49:22.765Z') },
          { name: 'Spec', type: 'external', external: { url: 'https://example.com/spec.pdf?v=2' } },
          { name: 'report.pdf', type: 'file', file: file(PDF_PATH) },
        ],
      },
      Empty: { id: 'e', type: 'files', files: [] },
      Gallery: {
        id: 'g',
        type: 'rollup',
        rollup: {
          type: 'array',
          function: 'show_original',
          array: [
            { type: 'files', files: [{ name: 'report.pdf', type: 'file', file: file(PDF_PATH) }] },
            { type: 'number', number: 3 },
          ],
        },
      },
      // Not file objects: a formula's text (formulas never yield files), a rollup's number.
      Score: { id: 's', type: 'formula', formula: { type: 'string', string: s3(IMAGE_PATH) } },
      Count: { id: 'c', type: 'rollup', rollup: { type: 'number', number: 2, function: 'count' } },
    },
    icon: { type: 'file', file: file(IMAGE_PATH, '2025-04-24T22:49:22.765Z') },
    cover: { type: 'external', external: { url: 'https://images.unsplash.com/photo-1?w=1065' } },
  };
}

describe('stripPageFiles', () => {
  it('keeps only the identity of each hosted file in files values, rollup arrays and the icon, and lists the files once', () => {
    const input = deepFreeze(pageParts(signedAt('20250424T214922Z', 'aa'.repeat(32))));
    const { files, ...parts } = stripPageFiles(input);

    expect(parts).toEqual(pageParts(stored));
    expect(parts.properties['Score']).toBe(input.properties['Score']);
    expect(parts.properties['Name']).toBe(input.properties['Name']);
    expect(parts.cover).toBe(input.cover);
    expect(files).toEqual([
      {
        identity: IMAGE,
        url: s3(IMAGE_PATH, { date: '20250424T214922Z', sig: 'aa'.repeat(32) }),
        expiresAt: new Date('2025-04-24T22:49:22.765Z'),
      },
      {
        identity: PDF,
        url: s3(PDF_PATH, { date: '20250424T214922Z', sig: 'aa'.repeat(32) }),
        expiresAt: new Date('2025-04-24T22:49:22Z'),
      },
    ]);
  });

  it('does not mutate its input', () => {
    const input = pageParts(signedAt('20250424T214922Z', 'aa'.repeat(32)));
    const before = structuredClone(input);
    stripPageFiles(deepFreeze(input));
    expect(input).toEqual(before);
  });

  it('stores the same thing for a re-fetch that only re-signed the URLs', () => {
    const first = stripPageFiles(pageParts(signedAt('20250424T214922Z', 'aa'.repeat(32))));
    const second = stripPageFiles(pageParts(signedAt('20250424T231500Z', 'bb'.repeat(32))));
    expect(second.files.map((f) => f.url)).not.toEqual(first.files.map((f) => f.url));
    const { files: _a, ...firstParts } = first;
    const { files: _b, ...secondParts } = second;
    expect(JSON.stringify(secondParts)).toBe(JSON.stringify(firstParts));
  });

  it('reads the expiry from the URL when expiry_time is missing or unreadable, and keeps the later of two signatures', () => {
    const stripped = stripPageFiles({
      properties: {
        Files: {
          id: 'f',
          type: 'files',
          files: [
            {
              name: 'a',
              type: 'file',
              file: { url: s3(IMAGE_PATH, { date: '20250424T214922Z' }), expiry_time: 'soon' },
            },
            { name: 'b', type: 'file', file: { url: s3(IMAGE_PATH, { date: '20250424T220000Z' }) } },
            { name: 'c', type: 'file', file: { url: s3(IMAGE_PATH, { date: '20250424T210000Z' }) } },
          ],
        },
      },
      icon: { type: 'emoji', emoji: '📎' },
      cover: null,
    });
    expect(stripped.files).toEqual([
      {
        identity: IMAGE,
        url: s3(IMAGE_PATH, { date: '20250424T220000Z' }),
        expiresAt: new Date('2025-04-24T23:00:00Z'),
      },
    ]);
  });

  it('leaves file objects that are not signed Notion URLs, odd shapes, and already stripped parts as they are', () => {
    const parts: PageFileParts = {
      properties: {
        Files: {
          id: 'f',
          type: 'files',
          files: [
            {
              name: 'plain',
              type: 'file',
              file: { url: 'https://cdn.example.com/a.png', expiry_time: '2025-01-01T00:00:00Z' },
            },
            { name: 'no url', type: 'file', file: {} },
            'not an object',
          ],
        },
        Broken: { id: 'b', type: 'files', files: null },
        BrokenRollup: { id: 'r', type: 'rollup', rollup: { type: 'array', array: 'nope' } },
        Unknown: { id: 'u', type: 'button', button: {} },
        NotAnObject: 7,
      },
      icon: { type: 'file', file: { url: 42 } },
      cover: undefined,
    };
    const stripped = stripPageFiles(deepFreeze(parts));
    expect(stripped).toEqual({ ...parts, files: [] });
    for (const name of Object.keys(parts.properties)) expect(stripped.properties[name]).toBe(parts.properties[name]);

    expect(stripPageFiles(pageParts(stored))).toEqual({ ...pageParts(stored), files: [] });
  });
});

describe('rewritePageFiles', () => {
  const link = (identity: string) => `/api/v1/files/${fileKey(identity)}`;

  it('replaces the stored identities by links', () => {
    const parts = deepFreeze(pageParts(stored));
    const served = rewritePageFiles(parts, link);
    expect(served).toEqual(pageParts((path) => ({ url: link(BUCKET + path) })));
    expect(served.cover).toBe(parts.cover);
  });

  it('gives the stripped form back with link = identity', () => {
    const { files: _files, ...parts } = stripPageFiles(pageParts(signedAt('20250424T214922Z', 'aa'.repeat(32))));
    const same = rewritePageFiles(parts, (identity) => identity);
    expect(same).toEqual(parts);
    expect(same.properties['Attachments']).toBe(parts.properties['Attachments']);
  });
});

describe('stripMarkdownFiles', () => {
  const signedImage = s3(IMAGE_PATH, { date: '20250424T214922Z', sig: 'aa'.repeat(32) });
  const signedPdf = s3(PDF_PATH, { date: '20250424T214922Z', sig: 'cc'.repeat(32) });
  const entityEncoded = (url: string) => url.replace(/&/g, '&amp;');

  it('replaces an image and a link by their identities, parentheses in a file name included', () => {
    const markdown = `# Launch\n\n![A chart](${signedImage})\n\nSee [the report](${signedPdf}) for details.\n`;
    expect(stripMarkdownFiles(markdown)).toEqual({
      markdown: `# Launch\n\n![A chart](${IMAGE})\n\nSee [the report](${PDF}) for details.\n`,
      files: [
        { identity: IMAGE, url: signedImage, expiresAt: new Date('2025-04-24T22:49:22Z') },
        { identity: PDF, url: signedPdf, expiresAt: new Date('2025-04-24T22:49:22Z') },
      ],
    });
  });

  it('replaces URLs in tag attributes, entity-encoded &amp; included, in double and single quotes', () => {
    const markdown =
      `<img src="${entityEncoded(signedImage)}" alt="chart">\n` +
      `<file url="${signedPdf}">Quarterly report</file>\n` +
      `<video src='${signedImage}'></video>\n`;
    const stripped = stripMarkdownFiles(markdown);
    expect(stripped.markdown).toBe(
      `<img src="${IMAGE}" alt="chart">\n<file url="${PDF}">Quarterly report</file>\n<video src='${IMAGE}'></video>\n`,
    );
    expect(stripped.files).toEqual([
      { identity: IMAGE, url: signedImage, expiresAt: new Date('2025-04-24T22:49:22Z') },
      { identity: PDF, url: signedPdf, expiresAt: new Date('2025-04-24T22:49:22Z') },
    ]);
  });

  it('replaces bare URLs, leaving the punctuation after them', () => {
    const markdown = `Download: ${signedPdf}. Or <${signedImage}>, or (${signedImage})!\n**${signedImage}**`;
    expect(stripMarkdownFiles(markdown).markdown).toBe(`Download: ${PDF}. Or <${IMAGE}>, or (${IMAGE})!\n**${IMAGE}**`);
  });

  it('keeps a closing parenthesis that ends the URL itself (a download name) apart from the one that closes the link', () => {
    const path = `/f/f/${SPACE}/5afeb460-0ce7-4083-8bd5-9fcad433845f/Notes%20(1)`;
    const url = `https://file.notion.so${path}?expirationTimestamp=1716012000000&signature=CQHJsq&downloadName=Notes%20(1)`;
    expect(stripMarkdownFiles(`[notes](${url}) (${url})`)).toEqual({
      markdown: `[notes](https://file.notion.so${path}) (https://file.notion.so${path})`,
      files: [{ identity: `https://file.notion.so${path}`, url, expiresAt: new Date(1716012000000) }],
    });
  });

  it('lists a file met twice once, the later signature kept', () => {
    const later = s3(IMAGE_PATH, { date: '20250424T223000Z', sig: 'dd'.repeat(32) });
    const stripped = stripMarkdownFiles(`![a](${signedImage})\n\n![b](${later})`);
    expect(stripped.markdown).toBe(`![a](${IMAGE})\n\n![b](${IMAGE})`);
    expect(stripped.files).toEqual([{ identity: IMAGE, url: later, expiresAt: new Date('2025-04-24T23:30:00Z') }]);
  });

  it('keeps external URLs, unsigned bucket URLs and text as they are', () => {
    const markdown =
      '![cat](https://images.unsplash.com/photo-1?ixlib=rb-1.2.1&amp;w=1065)\n' +
      `[raw](${IMAGE}) and <https://example.com/a?b=c> and \`${IMAGE}?x=1\`, https:// alone.`;
    expect(stripMarkdownFiles(markdown)).toEqual({ markdown, files: [] });
  });

  it('ends a URL at the characters a file name in a URL never holds raw: ] | space', () => {
    const markdown = `| [${signedImage}](${signedImage}) | ${signedPdf}|`;
    expect(stripMarkdownFiles(markdown).markdown).toBe(`| [${IMAGE}](${IMAGE}) | ${PDF}|`);
  });
});

describe('rewriteMarkdownFiles', () => {
  const link = (identity: string) => `https://api.example.com/api/v1/files/${fileKey(identity)}`;

  it('gives the stripped form back with link = identity, and links each file otherwise', () => {
    const markdown =
      `![A chart](${s3(IMAGE_PATH)})\n<img src="${s3(PDF_PATH).replace(/&/g, '&amp;')}">\n` +
      `Bare: ${s3(PDF_PATH)}. [ext](https://example.com/x.png?X-Amz-Date=1)`;
    const stripped = stripMarkdownFiles(markdown);
    const identities = new Set(stripped.files.map((f) => f.identity));
    expect(rewriteMarkdownFiles(stripped.markdown, identities, (identity) => identity)).toBe(stripped.markdown);
    expect(rewriteMarkdownFiles(stripped.markdown, identities, link)).toBe(
      `![A chart](${link(IMAGE)})\n<img src="${link(PDF)}">\n` +
        `Bare: ${link(PDF)}. [ext](https://example.com/x.png?X-Amz-Date=1)`,
    );
  });

  it('never rewrites an identity inside a longer URL that starts with it', () => {
    const folder = `${BUCKET}/${SPACE}/8d3e61f0-52a4-4c4b-a1f7-6e2c90b3d5a8`;
    const image = `${folder}/Untitled.png`;
    const webp = `${image}.webp`;
    const markdown = `![a](${image}) ![b](${webp}) [c](${folder}) ${image}?download=1 ${folder}/`;
    const names = new Map([
      [folder, 'F'],
      [image, 'I'],
      [webp, 'W'],
    ]);
    expect(rewriteMarkdownFiles(markdown, new Set(names.keys()), (identity) => names.get(identity)!)).toBe(
      `![a](I) ![b](W) [c](F) ${image}?download=1 ${folder}/`,
    );
    expect(rewriteMarkdownFiles(markdown, new Set([image]), (identity) => names.get(identity)!)).toBe(
      `![a](I) ![b](${webp}) [c](${folder}) ${image}?download=1 ${folder}/`,
    );
  });

  it('finds an identity with parentheses, followed by punctuation', () => {
    const markdown = `[report](${PDF}) (see ${PDF}).`;
    expect(rewriteMarkdownFiles(markdown, new Set([PDF]), () => '/f/1')).toBe('[report](/f/1) (see /f/1).');
  });

  it('leaves the text as it is with no identities', () => {
    const markdown = `![a](${IMAGE})`;
    expect(rewriteMarkdownFiles(markdown, new Set(), () => '/x')).toBe(markdown);
  });
});
