import { createHash } from 'node:crypto';
import { isJsonObject } from '../notion-json.js';

/**
 * Notion-hosted files and their signed URLs.
 *
 * Notion signs the URL of every file it hosts for about an hour, and a
 * re-fetch of the same page signs the same file again under a new URL. The
 * mirror stores a file's identity (the URL without its query: origin + path,
 * which stays the same across signatures) and serves a stable link of its own.
 *
 * Signed URLs recognised (anything else, external links included, is left alone):
 * - S3 presigned, Signature V4: query has `X-Amz-Signature`; expiry is
 *   `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) plus `X-Amz-Expires` (seconds). What the
 *   public API returns, e.g. `https://prod-files-secure.s3.us-west-2.amazonaws.com/<space>/<file>/<name>?X-Amz-Algorithm=…`
 *   (older pages: `https://s3.us-west-2.amazonaws.com/secure.notion-static.com/<file>/<name>?…`). Any host:
 *   the fake Notion serves the same shape from its own address.
 * - S3 presigned, Signature V2: `AWSAccessKeyId` and `Signature`; expiry is
 *   `Expires` (Unix seconds). Older Notion files, still seen in old exports.
 * - Notion's own file links, host `file.notion.so`, query has `signature`;
 *   expiry is `expirationTimestamp` (Unix milliseconds), e.g.
 *   `https://file.notion.so/f/f/<space>/<file>/<name>?table=block&id=<block>&spaceId=<space>&expirationTimestamp=1729728000000&signature=<b64url>&downloadName=<name>`
 *   (what Notion's app and its Markdown exports show; `/f/s/<file>/<name>` is an older path form).
 */

/** A Notion-hosted file met in a page: its identity, the signed URL it came with, and when that URL expires. */
export interface SeenFile {
  readonly identity: string;
  readonly url: string;
  /** From the file object's `expiry_time`, else from the URL; null when neither says. */
  readonly expiresAt: Date | null;
}

/** What `notionHostedFile` knows of a signed URL. */
export interface HostedFileUrl {
  /** Origin and path of the URL: the same for every signature of one file. */
  readonly identity: string;
  /** When this signature expires, as the URL says; null when it does not say. */
  readonly expiresAt: Date | null;
}

/** The parts of a page object that carry file objects. */
export interface PageFileParts {
  /** The page's `properties`, keyed by name, as Notion serves them. */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly icon: unknown;
  readonly cover: unknown;
}

/** `PageFileParts` after a strip or a rewrite. */
export interface RewrittenPageParts {
  readonly properties: Record<string, unknown>;
  readonly icon: unknown;
  readonly cover: unknown;
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const DIGITS = /^\d{1,15}$/;

/**
 * The identity and expiry of a Notion-hosted signed URL (the shapes are listed
 * in this file's header), or undefined for any other URL.
 */
export function notionHostedFile(url: string): HostedFileUrl | undefined {
  if (!/^https?:\/\//i.test(url) || !url.includes('?')) return undefined;
  const parsed = URL.parse(url);
  if (!parsed) return undefined;
  const query = parsed.searchParams;
  const identity = parsed.origin + parsed.pathname;
  if (query.has('X-Amz-Signature')) {
    return { identity, expiresAt: sigV4Expiry(query.get('X-Amz-Date'), query.get('X-Amz-Expires')) };
  }
  if (query.has('Signature') && query.has('AWSAccessKeyId')) {
    return { identity, expiresAt: epoch(query.get('Expires'), 1000) };
  }
  if (parsed.hostname === 'file.notion.so' && query.has('signature')) {
    return { identity, expiresAt: epoch(query.get('expirationTimestamp'), 1) };
  }
  return undefined;
}

function sigV4Expiry(date: string | null, expires: string | null): Date | null {
  const parts = date === null ? null : AMZ_DATE.exec(date);
  if (!parts || expires === null || !DIGITS.test(expires)) return null;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const signedAt = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 2026-02-31 over to March: such a date is not a date.
  if (signedAt.getUTCMonth() !== month - 1 || signedAt.getUTCDate() !== day || hour > 23 || minute > 59) return null;
  return new Date(signedAt.getTime() + Number(expires) * 1000);
}

function epoch(value: string | null, msPerUnit: number): Date | null {
  return value !== null && DIGITS.test(value) ? new Date(Number(value) * msPerUnit) : null;
}

/** The short key of a file identity (SHA-256, base64url, first 22 characters: 132 bits) used by file refs and the URL cache. */
export const fileKey = (identity: string): string =>
  createHash('sha256').update(identity).digest('base64url').slice(0, 22);

/** Files met, once each by identity; of two signatures of one file, the one that expires later. */
class SeenFiles {
  private readonly byIdentity = new Map<string, SeenFile>();

  add(file: SeenFile): void {
    const known = this.byIdentity.get(file.identity);
    if (!known || (file.expiresAt !== null && (known.expiresAt === null || file.expiresAt > known.expiresAt))) {
      this.byIdentity.set(file.identity, file);
    }
  }

  list(): SeenFile[] {
    return [...this.byIdentity.values()];
  }
}

/** A replacement for a `{type: 'file', file: {url, …}}` object, or undefined to keep it. */
type FileObjectMap = (fileObject: Record<string, unknown>, file: Record<string, unknown>, url: string) => unknown;

function mapFileObject(value: unknown, map: FileObjectMap): unknown {
  if (!isJsonObject(value) || value['type'] !== 'file') return value;
  const file = value['file'];
  if (!isJsonObject(file) || typeof file['url'] !== 'string') return value;
  return map(value, file, file['url']) ?? value;
}

/** The list mapped, or the list itself when nothing in it changed (unchanged values stay shared). */
function mapList(list: readonly unknown[], map: (item: unknown) => unknown): readonly unknown[] {
  let changed = false;
  const out = list.map((item) => {
    const mapped = map(item);
    changed ||= mapped !== item;
    return mapped;
  });
  return changed ? out : list;
}

/**
 * A property value with its file objects mapped: the items of a `files`
 * value, and of a rollup's `array` (whose items are property values: a rollup
 * of a files property holds `files` values). A formula cannot yield files
 * (its results are string, number, boolean or date).
 */
function mapPropertyValue(value: unknown, map: FileObjectMap): unknown {
  if (!isJsonObject(value)) return value;
  const files = value['files'];
  if (value['type'] === 'files' && Array.isArray(files)) {
    const mapped = mapList(files, (item) => mapFileObject(item, map));
    return mapped === files ? value : { ...value, files: mapped };
  }
  const rollup = value['rollup'];
  if (value['type'] === 'rollup' && isJsonObject(rollup) && Array.isArray(rollup['array'])) {
    const array = rollup['array'];
    const mapped = mapList(array, (item) => mapPropertyValue(item, map));
    return mapped === array ? value : { ...value, rollup: { ...rollup, array: mapped } };
  }
  return value;
}

/** New objects along the paths that changed; the input is never mutated. */
function mapPageFiles(parts: PageFileParts, map: FileObjectMap): RewrittenPageParts {
  const properties: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parts.properties)) properties[name] = mapPropertyValue(value, map);
  return { properties, icon: mapFileObject(parts.icon, map), cover: mapFileObject(parts.cover, map) };
}

const parseExpiryTime = (value: unknown): Date | null => {
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? null : new Date(at);
};

/**
 * A page's properties, icon and cover with each Notion-hosted file object
 * (`{type: 'file', file: {url, expiry_time}}`) reduced to its identity
 * (`{type: 'file', file: {url: identity}}`, no `expiry_time`: a re-fetch that
 * only re-signed URLs then stores the same thing), and the files met, once each.
 * External files, and file objects whose URL is not a recognised signed URL,
 * are kept as they are. The input is not mutated; unchanged values are shared
 * with it.
 */
export function stripPageFiles(parts: PageFileParts): RewrittenPageParts & { files: SeenFile[] } {
  const seen = new SeenFiles();
  const stripped = mapPageFiles(parts, (fileObject, file, url) => {
    const hosted = notionHostedFile(url);
    if (!hosted) return undefined;
    const { expiry_time: expiryTime, ...rest } = file;
    seen.add({ identity: hosted.identity, url, expiresAt: parseExpiryTime(expiryTime) ?? hosted.expiresAt });
    return { ...fileObject, file: { ...rest, url: hosted.identity } };
  });
  return { ...stripped, files: seen.list() };
}

/**
 * The serving side of `stripPageFiles`: the `url` of every `{type: 'file'}`
 * object in the page's files values, rollup arrays, icon and cover becomes
 * `link(url)`. `link` sees each stored URL (an identity, or a URL that was not
 * recognised as signed) and returns it unchanged to keep it.
 */
export function rewritePageFiles(parts: PageFileParts, link: (identity: string) => string): RewrittenPageParts {
  return mapPageFiles(parts, (fileObject, file, url) => {
    const linked = link(url);
    return linked === url ? undefined : { ...fileObject, file: { ...file, url: linked } };
  });
}

/**
 * A run of characters that may belong to a URL in Markdown or HTML, from its
 * scheme on. Ends at whitespace, quotes, angle brackets, backticks, and the
 * characters `encodeURIComponent` always escapes (Notion's file names in URLs
 * are so encoded): `[]{}|\^` — so `[text](url)` and `<img src="url">` end
 * where they should. `(`, `)`, `'` may be in a path: see `urlEnd`.
 */
const URL_RUN = /https?:\/\/[^\s"<>`[\]{}|\\^]+/gi;
/** Characters that end a sentence or close a quote or bracket: part of a URL run but never the end of a signed URL. */
const TRAILING = /[.,;:!?'*~)]$/;
const AMP = /&(?:amp|#0*38|#x0*26);/gi;

/** Where the URL ends in a run: trailing punctuation and unbalanced closing parentheses (`[a](url)`) are not part of it. */
function urlEnd(run: string): number {
  let open = 0;
  let close = 0;
  for (const c of run) {
    if (c === '(') open++;
    else if (c === ')') close++;
  }
  let end = run.length;
  while (end > 0 && TRAILING.test(run[end - 1]!)) {
    if (run[end - 1] === ')') {
      if (close <= open) break;
      close--;
    }
    end--;
  }
  return end;
}

/**
 * Markdown (Notion's, HTML tags included) with every Notion-hosted signed URL
 * replaced by its identity, wherever it is: `![…](url)`, `[…](url)`,
 * `<… src="url">`, `url="url"`, or bare. `&amp;` in a URL (an attribute value)
 * is read as `&`. Each file is listed once.
 */
export function stripMarkdownFiles(markdown: string): { markdown: string; files: SeenFile[] } {
  const seen = new SeenFiles();
  const stripped = markdown.replace(URL_RUN, (run) => {
    const end = urlEnd(run);
    const url = run.slice(0, end).replace(AMP, '&');
    const hosted = notionHostedFile(url);
    if (!hosted) return run;
    seen.add({ identity: hosted.identity, url, expiresAt: hosted.expiresAt });
    return hosted.identity + run.slice(end);
  });
  return { markdown: stripped, files: seen.list() };
}

/**
 * The serving side of `stripMarkdownFiles`: each whole URL in the text that is
 * one of `identities` becomes `link(identity)` (inserted as given). A URL that
 * merely starts with an identity (another file's path, or the identity with a
 * query) is left alone.
 */
export function rewriteMarkdownFiles(
  markdown: string,
  identities: ReadonlySet<string>,
  link: (identity: string) => string,
): string {
  if (identities.size === 0) return markdown;
  return markdown.replace(URL_RUN, (run) => {
    // The URL is the run less some trailing punctuation; try each such cut, longest first.
    for (let end = run.length; end > 0; end--) {
      const candidate = run.slice(0, end);
      if (identities.has(candidate)) return link(candidate) + run.slice(end);
      if (!TRAILING.test(candidate)) break;
    }
    return run;
  });
}
