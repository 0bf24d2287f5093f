import { APIResponseError, type Client } from '@notionhq/client';
import { notionIdOrAsGiven, stripMarkdownFiles, type SeenFile } from '@app/notion';

/** Why a block of the body is not in the stored Markdown. A wire format (the content API serves it). */
export type UnknownBlockReason =
  /** The block (a link to a page, a child page...) is not shared with the integration: Notion answered 404. */
  | 'unshared'
  /** Notion cannot render the block through the API: it answered 400. */
  | 'unsupported'
  /** Left out because the body reached its size cap or its request budget before this block. */
  | 'truncated';

/** Why a stored body is incomplete. A wire format. */
export type TruncatedReason =
  /** Longer than `CONTENT_MAX_BYTES`: kept up to the cap. */
  | 'size_cap'
  /** Notion cut it into more parts than one fetch asks for (`MAX_PARTS`). */
  | 'too_many_parts';

/** A page's body as fetched: Notion's Markdown, completed, with file identities for signed URLs. */
export interface PageBody {
  readonly markdown: string;
  readonly truncated: boolean;
  readonly truncatedReason: TruncatedReason | null;
  readonly unknownBlocks: ReadonlyArray<{ readonly id: string; readonly reason: UnknownBlockReason }>;
  /** Notion-hosted files in the Markdown (signed URLs replaced by identities there). */
  readonly files: readonly SeenFile[];
}

/**
 * Requests one body may take beyond the first. Notion truncates very long
 * pages and lists the blocks it left out; each is fetched through the same
 * endpoint. A page past this is stored with `too_many_parts`.
 */
export const MAX_PARTS = 50;

const isApiError = (err: unknown, status: number): boolean =>
  APIResponseError.isAPIResponseError(err) && err.status === status;

/**
 * Reads a page's body with `pages.retrieveMarkdown` and completes it the way
 * Notion documents: each id of `unknown_block_ids` is asked for through the
 * same endpoint and appended in order (a part may itself be truncated: its
 * own left-out ids come next). An id Notion answers 404 for is a block not
 * shared with the integration, 400 one it cannot render: recorded as such,
 * not as truncation. Any other failure is thrown (the job retries).
 *
 * The result is capped at `maxBytes` of UTF-8 (cut at the last line break
 * before the cap, `size_cap`), and at `MAX_PARTS` extra requests.
 */
export async function readPageBody(client: Client, pageId: string, maxBytes: number): Promise<PageBody> {
  const first = await client.pages.retrieveMarkdown({ page_id: pageId });
  const parts = [first.markdown];
  let bytes = Buffer.byteLength(first.markdown);
  const unknownBlocks: Array<{ id: string; reason: UnknownBlockReason }> = [];
  let truncatedReason: TruncatedReason | null = null;
  const queue = first.unknown_block_ids.map(notionIdOrAsGiven);
  let requests = 0;
  while (queue.length > 0) {
    if (bytes >= maxBytes || requests >= MAX_PARTS) {
      truncatedReason = bytes >= maxBytes ? 'size_cap' : 'too_many_parts';
      for (const id of queue.splice(0)) unknownBlocks.push({ id, reason: 'truncated' });
      break;
    }
    const id = queue.shift()!;
    requests++;
    try {
      const part = await client.pages.retrieveMarkdown({ page_id: id });
      parts.push(part.markdown);
      bytes += Buffer.byteLength(part.markdown) + 2;
      // The part's own left-out blocks come before the rest of the queue.
      queue.unshift(...part.unknown_block_ids.map(notionIdOrAsGiven));
    } catch (err) {
      if (isApiError(err, 404)) unknownBlocks.push({ id, reason: 'unshared' });
      else if (isApiError(err, 400)) unknownBlocks.push({ id, reason: 'unsupported' });
      else throw err;
    }
  }
  let markdown = parts.filter((p) => p.length > 0).join('\n\n');
  if (Buffer.byteLength(markdown) > maxBytes) {
    markdown = cutAt(markdown, maxBytes);
    truncatedReason = 'size_cap';
  }
  const stripped = stripMarkdownFiles(markdown);
  return {
    markdown: stripped.markdown,
    truncated: truncatedReason !== null,
    truncatedReason,
    unknownBlocks,
    files: stripped.files,
  };
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, ending at a line break when there is one. */
export function cutAt(text: string, maxBytes: number): string {
  const buffer = Buffer.from(text);
  if (buffer.length <= maxBytes) return text;
  // Back off to the start of a UTF-8 sequence (never split a character).
  let end = maxBytes;
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  const prefix = buffer.subarray(0, end).toString();
  const lineBreak = prefix.lastIndexOf('\n');
  return lineBreak > 0 ? prefix.slice(0, lineBreak) : prefix;
}

/** Notion's 403 `restricted_resource` on a body: the integration lacks the read-content capability. */
export function isContentRefused(err: unknown): boolean {
  return isApiError(err, 403);
}

/** 404 on the page itself: gone, or not shared (the property sync's business). */
export function isPageNotFound(err: unknown): boolean {
  return isApiError(err, 404);
}

/** 400 on the page itself: Notion cannot give this page's body (kept as the page's content error). */
export function isBodyRefused(err: unknown): boolean {
  return isApiError(err, 400);
}
