import type { HostedFile, SignedFile } from './hosted-files.js';
import { isRecord, richTextItem } from './property-values.js';

/**
 * Page bodies for the fake: a tree of blocks per page, served as Notion's block
 * objects (`GET /v1/blocks/:id/children`) and as enhanced markdown
 * (`GET /v1/pages/:id/markdown`). The dialect follows Notion's "Enhanced
 * markdown format" and "Working with markdown content" guides; the choices
 * where they are silent are listed in fake-notion.ts's header.
 */

export const TEXT_BLOCK_TYPES = [
  'paragraph',
  'heading_1',
  'heading_2',
  'heading_3',
  'bulleted_list_item',
  'numbered_list_item',
  'quote',
  'to_do',
  'toggle',
  'code',
] as const;

export type FakeTextBlockType = (typeof TEXT_BLOCK_TYPES)[number];

/** An image or file block's file: hosted by the fake (signed anew at each render), or an external URL kept as is. */
export type FakeFileSource = HostedFile | { readonly external: string };

/**
 * A block as a test writes it. A string is a paragraph. `id` keeps a block's
 * identity across `setBody` calls (as editing a block in Notion keeps it);
 * without it the block gets a new id. A `child_page`'s id is its `pageId`
 * (as in Notion, where the block and the page share one id): a fake page, or
 * any other id, which the fake treats as a page no token can see. Without
 * `pageId` the child page is a sub-page with no content of its own.
 */
export type FakeBlockInput =
  | string
  | {
      readonly type: FakeTextBlockType;
      readonly text: string;
      /** Not for `code` (Notion's code blocks have none). */
      readonly children?: readonly FakeBlockInput[];
      /** `to_do` only; default false. */
      readonly checked?: boolean;
      /** `code` only; default `plain text`. */
      readonly language?: string;
      readonly id?: string;
    }
  | { readonly type: 'image'; readonly file: FakeFileSource; readonly caption?: string; readonly id?: string }
  | {
      readonly type: 'file';
      readonly file: FakeFileSource;
      /** Default: the hosted file's name, or the external URL's last path segment. */
      readonly name?: string;
      readonly caption?: string;
      readonly id?: string;
    }
  | { readonly type: 'child_page'; readonly title: string; readonly pageId?: string }
  | { readonly type: 'link_to_page'; readonly pageId: string; readonly id?: string }
  /** A block type the API does not support; `blockType` is its `unsupported.block_type` (default `unsupported`). */
  | { readonly type: 'unsupported'; readonly blockType?: string; readonly id?: string };

export type FakeBlockContent =
  | { readonly type: FakeTextBlockType; readonly text: string; readonly checked?: boolean; readonly language?: string }
  | { readonly type: 'image'; readonly file: FakeFileSource; readonly caption: string }
  | { readonly type: 'file'; readonly file: FakeFileSource; readonly name: string; readonly caption: string }
  /** `pageId` given: the block's id is that page's id. */
  | { readonly type: 'child_page'; readonly title: string; readonly pageId?: string }
  | { readonly type: 'link_to_page'; readonly pageId: string }
  | { readonly type: 'unsupported'; readonly blockType: string };

/** A block of a page's body as the fake holds it (`FakeNotion.getBody`, `setBody`). */
export type FakeBlock = FakeBlockContent & {
  readonly id: string;
  /** Minute-rounded; a block kept by id keeps its created_time, and its last_edited_time while unchanged. */
  readonly createdTime: string;
  readonly lastEditedTime: string;
  readonly children: readonly FakeBlock[];
};

export interface BuildContext {
  /** The change's time, minute-rounded. */
  readonly at: string;
  /** The page's blocks before the change, by id. */
  readonly previous: ReadonlyMap<string, FakeBlock>;
  readonly newId: () => string;
  readonly normalizeId: (id: string) => string;
  /** The fake's own record of a hosted file; throws for one it does not host. */
  readonly resolveFile: (file: HostedFile) => HostedFile;
  /** True when another page's body already holds the id. */
  readonly taken: (id: string) => boolean;
}

/** Validates the inputs and gives every block its id and times. */
export function buildBlocks(inputs: readonly FakeBlockInput[], ctx: BuildContext): FakeBlock[] {
  const seen = new Set<string>();
  const build = (input: FakeBlockInput): FakeBlock => {
    const content = blockContent(input, ctx);
    const given = typeof input === 'string' ? undefined : 'id' in input ? input.id : undefined;
    const id = content.type === 'child_page' && content.pageId ? content.pageId : ctx.normalizeId(given ?? ctx.newId());
    if (seen.has(id)) throw new Error(`block id ${id} is used twice in the body`);
    // A page has one parent in Notion: a child page block cannot sit in two bodies.
    if (ctx.taken(id)) throw new Error(`block id ${id} is already in another page's body`);
    seen.add(id);
    const inputChildren = typeof input !== 'string' && 'children' in input ? (input.children ?? []) : [];
    if (content.type === 'code' && inputChildren.length > 0) throw new Error('a code block has no children');
    const children = inputChildren.map(build);
    const old = ctx.previous.get(id);
    const unchanged = old !== undefined && contentKey(old) === contentKey(content);
    return {
      ...content,
      id,
      createdTime: old?.createdTime ?? ctx.at,
      lastEditedTime: unchanged ? old.lastEditedTime : ctx.at,
      children,
    };
  };
  return inputs.map(build);
}

function blockContent(input: FakeBlockInput, ctx: BuildContext): FakeBlockContent {
  if (typeof input === 'string') return { type: 'paragraph', text: input };
  const source = (file: FakeFileSource): FakeFileSource =>
    'external' in file ? { external: file.external } : ctx.resolveFile(file);
  switch (input.type) {
    case 'image':
      return { type: 'image', file: source(input.file), caption: input.caption ?? '' };
    case 'file': {
      const file = source(input.file);
      const name =
        input.name ??
        ('external' in file ? decodeURIComponent(/([^/?#]+)(?:[?#]|$)/.exec(file.external)?.[1] ?? 'file') : file.name);
      return { type: 'file', file, name, caption: input.caption ?? '' };
    }
    case 'child_page':
      return {
        type: 'child_page',
        title: input.title,
        ...(input.pageId ? { pageId: ctx.normalizeId(input.pageId) } : {}),
      };
    case 'link_to_page':
      return { type: 'link_to_page', pageId: ctx.normalizeId(input.pageId) };
    case 'unsupported':
      return { type: 'unsupported', blockType: input.blockType ?? 'unsupported' };
    default: {
      if (!(TEXT_BLOCK_TYPES as readonly string[]).includes(input.type))
        throw new Error(`unknown block type ${JSON.stringify((input as { type: unknown }).type)}`);
      return {
        type: input.type,
        text: input.text,
        ...(input.type === 'to_do' ? { checked: input.checked ?? false } : {}),
        ...(input.type === 'code' ? { language: input.language ?? 'plain text' } : {}),
      };
    }
  }
}

/** A block's own content (not its id, times or children), to compare two versions of it. */
function contentKey(block: FakeBlockContent): string {
  const { id: _id, createdTime: _c, lastEditedTime: _e, children: _ch, ...content } = block as Partial<FakeBlock>;
  return JSON.stringify(content);
}

/** Every block of the tree, depth first, with its parent block (undefined at the top). */
export function* walkBlocks(
  blocks: readonly FakeBlock[],
  parent?: FakeBlock,
): Generator<{ block: FakeBlock; parent: FakeBlock | undefined }> {
  for (const block of blocks) {
    yield { block, parent };
    yield* walkBlocks(block.children, block);
  }
}

/** What `page.content_updated` names in `updated_blocks`: blocks added or changed, then blocks removed. */
export function changedBlockIds(before: readonly FakeBlock[], after: readonly FakeBlock[]): string[] {
  const old = new Map([...walkBlocks(before)].map(({ block }) => [block.id, block]));
  const now = [...walkBlocks(after)].map(({ block }) => block);
  const kept = new Set(now.map((b) => b.id));
  return [
    ...now.filter((b) => !old.has(b.id) || contentKey(old.get(b.id)!) !== contentKey(b)).map((b) => b.id),
    ...[...old.keys()].filter((id) => !kept.has(id)),
  ];
}

// ------------------------------------------------------------------ block objects

export type FileObject =
  | { readonly type: 'file'; readonly file: SignedFile }
  | { readonly type: 'external'; readonly external: { readonly url: string } };

export interface BlockObjectContext {
  readonly legacy: boolean;
  /** `created_by` / `last_edited_by` of every block. */
  readonly userId: string;
  /** A hosted file signed now, or the external URL. */
  readonly fileObject: (file: FakeFileSource) => FileObject;
  readonly hasChildren: (block: FakeBlock) => boolean;
}

export type BlockParent = { type: 'page_id'; page_id: string } | { type: 'block_id'; block_id: string };

const rich = (text: string) => (text ? [richTextItem(text)] : []);

/** The block object Notion returns (`BlockObjectResponse`). */
export function blockObject(block: FakeBlock, parent: BlockParent, ctx: BlockObjectContext): Record<string, unknown> {
  const user = { object: 'user', id: ctx.userId };
  return {
    object: 'block',
    id: block.id,
    parent,
    created_time: block.createdTime,
    created_by: user,
    last_edited_time: block.lastEditedTime,
    last_edited_by: user,
    has_children: ctx.hasChildren(block),
    in_trash: false,
    ...(ctx.legacy ? { archived: false } : {}),
    type: block.type,
    [block.type]: blockPayload(block, ctx),
  };
}

function blockPayload(block: FakeBlock, ctx: BlockObjectContext): Record<string, unknown> {
  switch (block.type) {
    case 'image':
      return { ...ctx.fileObject(block.file), caption: rich(block.caption) };
    case 'file':
      return { ...ctx.fileObject(block.file), caption: rich(block.caption), name: block.name };
    case 'child_page':
      return { title: block.title };
    case 'link_to_page':
      return { type: 'page_id', page_id: block.pageId };
    case 'unsupported':
      return { block_type: block.blockType };
    case 'paragraph':
      return { rich_text: rich(block.text), color: 'default', icon: null };
    case 'heading_1':
    case 'heading_2':
    case 'heading_3':
      return { rich_text: rich(block.text), color: 'default', is_toggleable: block.children.length > 0 };
    case 'to_do':
      return { rich_text: rich(block.text), color: 'default', checked: block.checked ?? false };
    case 'code':
      return { rich_text: rich(block.text), caption: [], language: block.language ?? 'plain text' };
    default:
      return { rich_text: rich(block.text), color: 'default' };
  }
}

// ----------------------------------------------------------------------- markdown

export interface MarkdownContext {
  /** The page whose body holds the blocks: `<unknown>` tags link to the block on it. */
  readonly pageId: string;
  /** A page the token can see (its title now and URL), else undefined. */
  readonly visiblePage: (pageId: string) => { readonly title: string; readonly url: string } | undefined;
  /** Notion's URL of a page (for a sub-page the fake does not hold). */
  readonly pageUrl: (title: string, id: string) => string;
  /** A hosted file signed now, or the external URL. */
  readonly fileUrl: (file: FakeFileSource) => string;
}

/** `GET /v1/pages/:id/markdown`'s answer, without `object` and `id`. */
export interface MarkdownBody {
  readonly markdown: string;
  readonly truncated: boolean;
  readonly unknown_block_ids: string[];
}

/** Why a block renders as `<unknown>`: its type is not supported, or it shows a page the token cannot see. */
export function unrenderable(block: FakeBlock, ctx: MarkdownContext): 'unsupported' | 'unshared' | undefined {
  if (block.type === 'unsupported') return 'unsupported';
  const target = block.type === 'link_to_page' || block.type === 'child_page' ? block.pageId : undefined;
  return target !== undefined && !ctx.visiblePage(target) ? 'unshared' : undefined;
}

/** A page's body, whole top-level blocks up to `limit` characters (the rest as `<unknown>` tags). */
export function bodyMarkdown(blocks: readonly FakeBlock[], ctx: MarkdownContext, limit: number | null): MarkdownBody {
  const found = new Found();
  const { parts, cut } = sequence(blocks, 0, ctx, found, limit);
  return { markdown: parts.join('\n'), truncated: cut || found.unshared, unknown_block_ids: found.ids };
}

/** One block with its children, for a block id passed to the markdown endpoint: its own lines always, children up to `limit`. */
export function blockMarkdown(block: FakeBlock, ctx: MarkdownContext, limit: number | null): MarkdownBody {
  const found = new Found();
  const { open, close } = frame(block, 1, ctx);
  const fixed = open.join('\n').length + (close.length > 0 ? close.join('\n').length + 1 : 0);
  const budget = limit === null ? null : Math.max(0, limit - fixed - 1);
  const { parts, cut } = sequence(block.children, 1, ctx, found, budget);
  return {
    markdown: [...open, ...parts, ...close].join('\n'),
    truncated: cut || found.unshared,
    unknown_block_ids: found.ids,
  };
}

/** The ids of `<unknown>` blocks in document order, and whether any is there for lack of access. */
class Found {
  readonly ids: string[] = [];
  unshared = false;

  add(other: Found): void {
    this.ids.push(...other.ids);
    this.unshared ||= other.unshared;
  }
}

/** Sibling blocks at `depth`, whole ones while they fit in `budget` (null: all), then `<unknown>` tags. */
function sequence(
  blocks: readonly FakeBlock[],
  depth: number,
  ctx: MarkdownContext,
  found: Found,
  budget: number | null,
): { parts: string[]; cut: boolean } {
  const parts: string[] = [];
  let used = 0;
  let number = 0;
  let cut = false;
  for (const block of blocks) {
    number = block.type === 'numbered_list_item' ? number + 1 : 0;
    if (!cut) {
      const own = new Found();
      const text = render(block, depth, number, ctx, own);
      const cost = text.length + (parts.length > 0 ? 1 : 0);
      if (budget === null || used + cost <= budget) {
        parts.push(text);
        used += cost;
        found.add(own);
        continue;
      }
      cut = true;
    }
    parts.push(indent(depth, unknownTag(block, ctx)));
    found.ids.push(block.id);
  }
  return { parts, cut };
}

function render(block: FakeBlock, depth: number, number: number, ctx: MarkdownContext, found: Found): string {
  const why = unrenderable(block, ctx);
  if (why) {
    found.ids.push(block.id);
    if (why === 'unshared') found.unshared = true;
    return indent(depth, unknownTag(block, ctx));
  }
  const { open, close } = frame(block, number, ctx);
  const children = sequence(block.children, depth + 1, ctx, found, null).parts;
  return [...open.map((line) => indent(depth, line)), ...children, ...close.map((line) => indent(depth, line))].join(
    '\n',
  );
}

/** A block's own lines: those before its children and those after. */
function frame(block: FakeBlock, number: number, ctx: MarkdownContext): { open: string[]; close: string[] } {
  const lines = (...open: string[]) => ({ open, close: [] });
  switch (block.type) {
    case 'paragraph':
      return lines(block.text ? escape(block.text) : '<empty-block/>');
    case 'heading_1':
    case 'heading_2':
    case 'heading_3': {
      const level = '#'.repeat(Number(block.type.slice(-1)));
      return lines(`${level} ${escape(block.text)}${block.children.length > 0 ? ' {toggle="true"}' : ''}`);
    }
    case 'bulleted_list_item':
      return lines(`- ${escape(block.text)}`);
    case 'numbered_list_item':
      return lines(`${number}. ${escape(block.text)}`);
    case 'to_do':
      return lines(`- [${block.checked ? 'x' : ' '}] ${escape(block.text)}`);
    case 'quote':
      return lines(`> ${escape(block.text)}`);
    case 'toggle':
      return { open: ['<details>', `<summary>${escape(block.text)}</summary>`], close: ['</details>'] };
    case 'code': {
      const language = block.language === 'plain text' ? '' : (block.language ?? '');
      return lines('```' + language, ...block.text.split('\n'), '```');
    }
    case 'image':
      return lines(`![${escape(block.caption)}](${ctx.fileUrl(block.file)})`);
    case 'file':
      return lines(`<file src="${attribute(ctx.fileUrl(block.file))}">${escape(block.caption)}</file>`);
    case 'child_page': {
      const page = block.pageId ? ctx.visiblePage(block.pageId) : undefined;
      const url = page?.url ?? ctx.pageUrl(block.title, block.id);
      return lines(`<page url="${attribute(url)}">${escape(page?.title ?? block.title)}</page>`);
    }
    case 'link_to_page': {
      const page = ctx.visiblePage(block.pageId);
      return lines(`<mention-page url="${attribute(page?.url ?? '')}">${escape(page?.title ?? '')}</mention-page>`);
    }
    case 'unsupported':
      return lines(unknownTag(block, ctx));
  }
}

const compact = (id: string) => id.replace(/-/g, '');

/** Notion's placeholder: `url` links to the block on its page, `alt` names its type. */
const unknownTag = (block: FakeBlock, ctx: MarkdownContext) =>
  `<unknown url="https://www.notion.so/${compact(ctx.pageId)}#${compact(block.id)}" alt="${
    block.type === 'unsupported' ? attribute(block.blockType) : block.type
  }"/>`;

const indent = (depth: number, line: string) => '\t'.repeat(depth) + line;

/** Notion escapes these outside code blocks; a line break inside a block is `<br>`. */
const escape = (text: string) => text.replace(/[\\*~`$[\]<>{}|^]/g, '\\$&').replace(/\r?\n/g, '<br>');

/** Attribute values are written raw (a URL's `&` stays `&`); only a quote, which would end the value, is percent-encoded. */
const attribute = (value: string) => value.replace(/"/g, '%22');

// ------------------------------------------------------------------ control API input

/** The control API's JSON blocks: the same shapes as `FakeBlockInput`, a hosted file as `{id, name}`. */
export function coerceBlocks(raw: unknown): FakeBlockInput[] {
  if (!Array.isArray(raw)) throw new TypeError('`blocks` must be an array of blocks');
  return raw.map(coerceBlock);
}

function coerceBlock(raw: unknown): FakeBlockInput {
  if (typeof raw === 'string') return raw;
  if (!isRecord(raw)) throw new TypeError(`a block must be a string or an object, not ${JSON.stringify(raw)}`);
  const text = (name: string) => optional(raw, name, 'string');
  const id = text('id');
  const ids = id === undefined ? {} : { id };
  switch (raw['type']) {
    case 'image':
      return { type: 'image', file: coerceSource(raw['file']), caption: text('caption'), ...ids };
    case 'file':
      return { type: 'file', file: coerceSource(raw['file']), name: text('name'), caption: text('caption'), ...ids };
    case 'child_page':
      return { type: 'child_page', title: required(raw, 'title'), pageId: text('pageId') };
    case 'link_to_page':
      return { type: 'link_to_page', pageId: required(raw, 'pageId'), ...ids };
    case 'unsupported':
      return { type: 'unsupported', blockType: text('blockType'), ...ids };
  }
  const type = raw['type'] as FakeTextBlockType;
  if (!TEXT_BLOCK_TYPES.includes(type)) throw new TypeError(`unknown block type ${JSON.stringify(raw['type'])}`);
  const children = raw['children'] === undefined ? undefined : coerceBlocks(raw['children']);
  return {
    type,
    text: typeof raw['text'] === 'string' ? raw['text'] : required(raw, 'text'),
    children,
    checked: optional(raw, 'checked', 'boolean'),
    language: text('language'),
    ...ids,
  };
}

function coerceSource(raw: unknown): FakeFileSource {
  if (isRecord(raw) && typeof raw['external'] === 'string') return { external: raw['external'] };
  if (isRecord(raw) && typeof raw['id'] === 'string') return { id: raw['id'], name: String(raw['name'] ?? '') };
  throw new TypeError(
    `a block's file must be {"external": url} or a hosted file {"id", "name"}, not ${JSON.stringify(raw)}`,
  );
}

function required(raw: Record<string, unknown>, name: string): string {
  const value = raw[name];
  if (typeof value !== 'string' || !value) throw new TypeError(`\`${name}\` must be a non-empty string`);
  return value;
}

function optional(raw: Record<string, unknown>, name: string, type: 'string'): string | undefined;
function optional(raw: Record<string, unknown>, name: string, type: 'boolean'): boolean | undefined;
function optional(raw: Record<string, unknown>, name: string, type: 'string' | 'boolean'): unknown {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new TypeError(`\`${name}\` must be a ${type}`);
  return value;
}
