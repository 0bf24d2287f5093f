import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { QueryDataSourceResponse } from '@notionhq/client';
import { createControlApi, type ControlApi } from './control-api.js';
import { readBody, sendJson } from './http-body.js';
import {
  DataSourceSchema,
  emptyValue,
  type OptionInput,
  type PropertyDefinition,
  type SchemaProperty,
} from './data-source-schema.js';
import { FileHost, type FileRequest, type HostedFile, type SignedFile } from './hosted-files.js';
import {
  blockMarkdown,
  blockObject,
  bodyMarkdown,
  buildBlocks,
  changedBlockIds,
  unrenderable,
  walkBlocks,
  type BlockObjectContext,
  type BlockParent,
  type FakeBlock,
  type FakeBlockInput,
  type FakeFileSource,
  type FileObject,
  type MarkdownContext,
} from './page-content.js';
import {
  listItems,
  pageObjectValue,
  prop,
  propertyItem,
  richTextItem,
  userValue,
  type FakePropertyType,
  type FakePropertyValue,
  type FakeUser,
  type FileValue,
  type RollupItem,
  type ShownValue,
} from './property-values.js';
import {
  compileQuery,
  decodeCursor,
  encodeCursor,
  lowerBound,
  positionComparator,
  queryFingerprint,
  QueryValidationError,
  runQuery,
  type CompiledQuery,
  type QueryContext,
  type QueryRow,
  type SortedRow,
} from './query-engine.js';
import {
  sendHandshake,
  sendWebhook,
  type HandshakeResult,
  type SendWebhookArgs,
  type WebhookAuthor,
  type WebhookDelivery,
  type WebhookOrigin,
  type WebhookTarget,
} from './webhook-sender.js';

/**
 * An in-memory Notion workspace on loopback that speaks Notion's wire format
 * (API 2025-09-03 and later: databases hold data sources), for tests and the
 * local demo (`npm run fake-notion`). Checked against the real
 * `@notionhq/client` in fake-notion.spec.
 *
 * Serves `GET /v1/pages/:id`, `GET /v1/pages/:id/properties/:propertyId`,
 * `GET /v1/pages/:id/markdown`, `GET /v1/blocks/:id/children`,
 * `GET /v1/databases/:id`, `GET /v1/data_sources/:id`, `GET /v1/users/me` and
 * `POST /v1/data_sources/:id/query` (property and timestamp filters and sorts
 * with the semantics of docs/queries.md, keyset cursors, the per-query result
 * cap with `request_status`). Around that: its own
 * per-token rate limit, injectable 429s, 5xx and latency, token revocation, a
 * request log, and a sender for signed webhooks.
 *
 * State changes go through the methods (`addPage`, `editPage`, `trashPage`,
 * `defineProperty`, `renameProperty`, `changePropertyType`, `setBody`...):
 * queries cache their sorted rows until the next change.
 *
 * Page bodies (`setBody`, `addPage(..., { body })`, `editBodyAndNotify`) are
 * served by `GET /v1/blocks/:id/children` (Notion's block objects; cursors are
 * block ids, as Notion's) and `GET /v1/pages/:id/markdown` (page-content.ts).
 * As Notion documents the markdown: one `\n` between blocks, a tab per level of
 * nesting, `<br>` for a line break inside a block, Notion's backslash escapes,
 * `![caption](url)`, `<file src="url">caption</file>`, `<page url="...">title</page>`,
 * toggles as `<details>`/`<summary>`, and what it cannot render as
 * `<unknown url="https://www.notion.so/<page>#<block>" alt="<type>"/>` with the
 * block's id in `unknown_block_ids`: blocks cut by the limit, blocks showing a
 * page the token cannot see (a `child_page` or `link_to_page`), and unsupported
 * block types. `truncated` is true when the limit cut the body or a block is
 * hidden for lack of access (Notion: "in both cases ... set to true"; its
 * `unknown_block_ids` "does not distinguish" them), not for unsupported types
 * alone. A block id in place of the page id answers that block with its
 * children, under the same limit (how Notion completes a truncated body); a
 * block hidden for lack of access answers 404 `object_not_found` (documented),
 * an unsupported one 400 `validation_error`.
 *
 * Choices where Notion is silent: the limit (`markdownLimit`, off by default;
 * Notion's is about 20,000 blocks) counts characters (`String.length`) of the
 * kept blocks' markdown: whole top-level blocks while they fit, then one
 * `<unknown>` tag per block left out (tags not counted); a requested block's own
 * lines always come back, its children while they fit. Numbered items count
 * 1., 2., ... per run; a `plain text` code block has a bare fence; a
 * `link_to_page` is `<mention-page url="...">title</mention-page>`; a heading
 * with children is a toggle heading (`{toggle="true"}`); an empty paragraph is
 * `<empty-block/>`; a trashed page's body is still served, as its page object
 * is; every block carries the time of the `setBody` that created or last
 * changed it.
 *
 * Notion-hosted files (`hostFile`) in image and file blocks, the markdown,
 * `files` values, icons and covers show `{url, expiry_time}`, signed anew at
 * each render (hosted-files.ts); `GET /_files/...` serves the bytes (no auth,
 * outside the rate limit and the request log: see `fileRequests`) until the
 * URL expires on the fake's clock. A token refused the read-content capability
 * (`denyContent`) gets 403 `restricted_resource` from the markdown and block
 * endpoints; its property reads still work.
 */

export interface FakePage {
  readonly id: string;
  readonly databaseId: string;
  readonly dataSourceId: string;
  /** The title property (`Name`, id `title`). */
  readonly title: string;
  /** Full-length values; page objects cut list properties to 25 items. */
  readonly properties: Readonly<Record<string, FakePropertyValue>>;
  /** Minute-rounded, as Notion reports them. */
  readonly createdTime: string;
  readonly lastEditedTime: string;
  readonly inTrash: boolean;
  /** `created_by` / `last_edited_by` (and properties of those types); default `FakeNotion.userId`. */
  readonly createdBy: FakeUser;
  readonly lastEditedBy: FakeUser;
  readonly icon: FakeIcon | null;
  readonly cover: FakeCover | null;
}

/** A page icon: an emoji, an external image, or a file hosted by the fake (signed at each render). */
export type FakeIcon = { readonly emoji: string } | { readonly external: string } | { readonly hosted: HostedFile };

/** A page cover: an external image, or a file hosted by the fake (signed at each render). */
export type FakeCover = { readonly external: string } | { readonly hosted: HostedFile };

export interface PageChange {
  readonly title?: string;
  /** Merged into the page's properties (properties not named keep their values). */
  readonly properties?: Readonly<Record<string, FakePropertyValue>>;
  readonly inTrash?: boolean;
  /** Who made the change (`last_edited_by`); default `FakeNotion.userId`. */
  readonly editedBy?: string | FakeUser;
  /** null removes it. */
  readonly icon?: FakeIcon | null;
  readonly cover?: FakeCover | null;
}

export interface AddPageOptions {
  /** Creation time (minute-rounded); also the first `last_edited_time`. */
  readonly at?: Date;
  readonly properties?: Readonly<Record<string, FakePropertyValue>>;
  /** A fixed page id (the demo workspace keeps its ids across restarts). */
  readonly id?: string;
  /** `created_by` (and the first `last_edited_by`); default `FakeNotion.userId`. */
  readonly createdBy?: string | FakeUser;
  /** The page's body (see `setBody`). */
  readonly body?: readonly FakeBlockInput[];
  readonly icon?: FakeIcon | null;
  readonly cover?: FakeCover | null;
}

export interface AddPagesOptions {
  /** The first page's creation time; default 2025-01-01T00:00Z. */
  readonly start?: Date;
  /** Between consecutive creation times; default one minute. */
  readonly stepMs?: number;
  readonly title?: (i: number) => string;
  readonly properties?: (i: number) => Readonly<Record<string, FakePropertyValue>>;
}

export interface LoggedRequest {
  /** Arrival time (ms since the epoch). */
  readonly at: number;
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  /** The query string, `?` included, or ''. */
  readonly search: string;
  /** The raw bearer token (test tokens only), to group requests by integration. */
  readonly token: string | undefined;
  readonly status: number;
  /** The parsed JSON body of a POST, if any. */
  readonly body?: unknown;
}

/** A token bucket per integration token: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface FakeNotionOptions {
  /** Rows one query (one data source, filter and sorts, across its cursors) returns at most; Notion's is 10,000. */
  readonly resultCap?: number;
  readonly rateLimit?: RateLimit | null;
  readonly workspace?: { readonly id?: string; readonly name?: string };
  /** `api_version` stamped on webhook envelopes (the subscription's version). */
  readonly webhookApiVersion?: string;
  /** Serve the control API under `/_fake/` (the standalone server does; see control-api.ts). */
  readonly controlApi?: boolean;
  /**
   * The fake's clock: "now" for relative date filters (`today`, `past_week`...),
   * the default time of changes, and the signing and expiry of hosted files'
   * URLs. Default the real time; see also `setNow`.
   */
  readonly now?: () => Date;
  /** Characters of markdown `GET /v1/pages/:id/markdown` returns before truncating (see `setMarkdownLimit`); default none. */
  readonly markdownLimit?: number | null;
  /** How long a hosted file's signed URL is valid (see `setFileUrlExpiry`); default 3600, as Notion's. */
  readonly fileUrlExpirySeconds?: number;
}

interface RequestMatch {
  /** Tested against the path (without query string), e.g. `/\/query$/`. */
  readonly path?: RegExp;
  readonly method?: string;
}

export type InjectedFailureStatus = 500 | 502 | 503 | 504 | 529;

export interface FailureInjection extends RequestMatch {
  readonly status: InjectedFailureStatus;
  /** How many matching requests fail; default 1. */
  readonly count?: number;
  /** Default per status: 500 internal_server_error, 502 bad_gateway, 503 service_unavailable, 504 gateway_timeout, 529 service_overload. */
  readonly code?: string;
  readonly message?: string;
  readonly retryAfterSeconds?: number;
}

export interface RateLimitedInjection {
  /** How many requests are answered 429; default 1. */
  readonly count?: number;
  /** The `Retry-After` header; default 1. */
  readonly retryAfterSeconds?: number;
  /** Only requests with this token; default any. */
  readonly token?: string;
}

export interface LatencyInjection extends RequestMatch {
  readonly ms: number;
  /** How many matching requests are delayed; default 1 (`Infinity` for all). */
  readonly count?: number;
  /** Only requests about this page (`/v1/pages/<id>...`). */
  readonly pageId?: string;
}

export interface NotifyOptions extends WebhookTarget {
  /** Deliver the event twice with the same id, the second as Notion's retry (`attempt_number` 2). */
  readonly duplicate?: boolean;
  /** Wait this long after the change before delivering. */
  readonly delayMs?: number;
  /** The change's time (minute-rounded into `last_edited_time`); default now. */
  readonly at?: Date;
}

export interface NotifyResult {
  readonly page: FakePage;
  readonly deliveries: WebhookDelivery[];
}

/** What `GET /_fake/state` shows. */
export interface FakeNotionSnapshot {
  readonly databases: Array<{ id: string; title: string; dataSources: Array<{ id: string; name: string }> }>;
  readonly pages: FakePage[];
  readonly grants: Record<string, string[]>;
  readonly requests: number;
}

interface PageRecord {
  id: string;
  databaseId: string;
  dataSourceId: string;
  title: string;
  properties: Record<string, FakePropertyValue>;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
  createdBy: FakeUser;
  lastEditedBy: FakeUser;
  icon: FakeIcon | null;
  cover: FakeCover | null;
}

interface DatabaseRecord {
  readonly id: string;
  readonly title: string;
  readonly dataSourceIds: string[];
  readonly createdTime: string;
}

interface DataSourceRecord {
  readonly id: string;
  readonly name: string;
  readonly databaseId: string;
  readonly createdTime: string;
  /** Its properties in first-seen order (the title first). */
  readonly schema: DataSourceSchema;
}

interface IndexedRow extends QueryRow {
  readonly page: PageRecord;
}

interface Counted<T> {
  remaining: number;
  readonly spec: T;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface RequestContext {
  readonly method: string;
  /** With page and data source ids normalized to dashed UUIDs. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly token: string | undefined;
  readonly version: string | undefined;
  readonly rawBody: string;
}

const TITLE_PROPERTY = 'Name';
const TITLE_ID = 'title';
const DEFAULT_RESULT_CAP = 10_000;
const MAX_PAGE_SIZE = 100;
/** `archived` left the objects with this version (renamed to `in_trash`). */
const IN_TRASH_ONLY_VERSION = '2026-03-11';

const DEFAULT_CODES: Record<InjectedFailureStatus, { code: string; message: string }> = {
  500: { code: 'internal_server_error', message: 'Unexpected error occurred.' },
  // Not in the SDK's list of codes: the SDK raises UnknownHTTPResponseError for it.
  502: {
    code: 'bad_gateway',
    message: 'Notion encountered an issue while attempting to complete this request. Please try again.',
  },
  503: { code: 'service_unavailable', message: 'Notion is unavailable, please try again later.' },
  504: {
    code: 'gateway_timeout',
    message: 'Notion timed out while attempting to complete this request. Please try again later.',
  },
  529: { code: 'service_overload', message: 'Notion is experiencing high load. Please try again later.' },
};

/** Notion reports times rounded down to the minute. */
const toMinute = (date: Date) => new Date(Math.floor(date.getTime() / 60_000) * 60_000).toISOString();

/** Notion accepts ids with or without dashes; the fake keys everything by the dashed form. */
const normalizeId = (id: string) =>
  /^[0-9a-f]{32}$/i.test(id)
    ? `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`.toLowerCase()
    : id.toLowerCase();

const normalizePath = (path: string) =>
  path.replace(/\/([0-9a-f]{32}|[0-9a-f-]{36})(?=\/|$)/gi, (_, id: string) => `/${normalizeId(id)}`);

class NotionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const notFound = (kind: string, id: string) =>
  new NotionError(
    404,
    'object_not_found',
    `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
  );

const validation = (message: string) => new NotionError(400, 'validation_error', message);

export class FakeNotion {
  /** Builders for real-shaped property values (see property-values.ts). */
  static readonly prop = prop;

  /** Every Notion API request answered, in the order answered (`at` is the arrival time). */
  readonly requests: LoggedRequest[] = [];
  /** Every `GET /_files/...` (hosted files' bytes), apart from `requests`. */
  readonly fileRequests: FileRequest[] = [];
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly integrationId = randomUUID();
  readonly subscriptionId = randomUUID();
  /** The person every change is attributed to (`created_by`, webhook `authors`). */
  readonly userId = randomUUID();
  /** The integration's bot user (`GET /v1/users/me`). */
  readonly botId = randomUUID();

  private readonly resultCap: number;
  private readonly webhookApiVersion: string;
  private readonly databases = new Map<string, DatabaseRecord>();
  private readonly dataSources = new Map<string, DataSourceRecord>();
  private readonly pages = new Map<string, PageRecord>();
  private readonly bodies = new Map<string, FakeBlock[]>();
  /** Every block of every body, by id, with the page holding it. */
  private readonly blockIndex = new Map<string, { block: FakeBlock; pageId: string }>();
  /** Tokens without the read-content capability. */
  private readonly contentDenied = new Set<string>();
  private readonly files: FileHost;
  private markdownCharLimit: number | null;
  /** token -> database ids shared with that integration */
  private readonly grants = new Map<string, Set<string>>();
  private readonly revoked = new Set<string>();
  private limit: RateLimit | null = null;
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  private readonly injectedRateLimits: Array<Counted<RateLimitedInjection>> = [];
  private readonly failures: Array<Counted<FailureInjection>> = [];
  private readonly latencies: Array<Counted<LatencyInjection>> = [];
  /** Bumped by every change; query caches are valid for one version. */
  private version = 0;
  private rowIndex?: { version: number; byDataSource: Map<string, IndexedRow[]> };
  private readonly queryCache = new Map<string, { version: number; rows: SortedRow<IndexedRow>[] }>();
  private clock: () => Date;
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private readonly control?: ControlApi;
  private server?: Server;
  private inFlightCount = 0;

  constructor(options: FakeNotionOptions = {}) {
    this.resultCap = options.resultCap ?? DEFAULT_RESULT_CAP;
    this.limit = options.rateLimit ?? null;
    this.workspaceId = options.workspace?.id ?? randomUUID();
    this.workspaceName = options.workspace?.name ?? 'Fake workspace';
    this.webhookApiVersion = options.webhookApiVersion ?? '2025-09-03';
    this.clock = options.now ?? (() => new Date());
    this.setMarkdownLimit(options.markdownLimit ?? null);
    this.files = new FileHost(this.workspaceId, 3600);
    this.setFileUrlExpiry(options.fileUrlExpirySeconds ?? 3600);
    if (options.controlApi) this.control = createControlApi(this);
  }

  /** Sets the fake's clock (see `FakeNotionOptions.now`): a fixed time, a function, or null for the real time. */
  setNow(now: Date | (() => Date) | null): void {
    this.clock = now === null ? () => new Date() : now instanceof Date ? () => now : now;
    this.version++; // relative filters mean other rows now
  }

  /** The fake's current time. */
  now(): Date {
    return this.clock();
  }

  // ---------------------------------------------------------------- workspace

  /** Creates a database with one data source per name; returns their ids. */
  addDatabase(
    title: string,
    dataSourceNames: string[] = ['Default'],
    options: { id?: string; dataSourceIds?: string[]; at?: Date } = {},
  ): { databaseId: string; dataSourceIds: string[] } {
    const id = normalizeId(options.id ?? randomUUID());
    const createdTime = toMinute(options.at ?? this.now());
    const dataSourceIds = dataSourceNames.map((name, i) => {
      const dsId = normalizeId(options.dataSourceIds?.[i] ?? randomUUID());
      const schema = new DataSourceSchema(TITLE_PROPERTY, TITLE_ID);
      this.dataSources.set(dsId, { id: dsId, name, databaseId: id, createdTime, schema });
      return dsId;
    });
    this.databases.set(id, { id, title, dataSourceIds, createdTime });
    return { databaseId: id, dataSourceIds };
  }

  /** Shares a database with an integration token (a token with no grants still authenticates). */
  share(token: string, databaseId?: string): void {
    this.revoked.delete(token);
    const set = this.grants.get(token) ?? new Set<string>();
    if (databaseId) set.add(normalizeId(databaseId));
    this.grants.set(token, set);
  }

  /** The integration loses access to the database: its objects answer 404 `object_not_found`. */
  unshare(token: string, databaseId: string): void {
    this.grants.get(token)?.delete(normalizeId(databaseId));
  }

  /** The token stops authenticating: every request with it answers 401 `unauthorized`. */
  revoke(token: string): void {
    this.revoked.add(token);
    this.grants.delete(token);
  }

  /** The id a data source gives a property name (registering it, of `type`, if new). */
  propertyId(dataSourceId: string, name: string, type: FakePropertyType = 'rich_text'): string {
    return this.dataSource(dataSourceId).schema.ensure(name, type).id;
  }

  // ----------------------------------------------------------------- schema

  /**
   * Declares a property, or configures one: its type (the derived types
   * `created_time`, `last_edited_time`, `created_by`, `last_edited_by` exist
   * only this way: every page shows its own), and the number format, formula
   * expression, unique_id prefix, rollup or relation configuration, options.
   * A property otherwise appears with the first value set for it.
   */
  defineProperty(dataSourceId: string, name: string, definition: PropertyDefinition): string {
    const ds = this.dataSource(dataSourceId);
    const property = ds.schema.define(name, definition);
    if (definition.options) this.setPropertyOptions(ds.id, name, definition.options);
    this.version++;
    return property.id;
  }

  /**
   * Sets the options of a select, status or multi_select property, in order
   * (their order is the sort order of select and status). Options used by pages
   * must be listed; a value with a new option later appends it, as in Notion.
   * Without this, options are listed in order of first use.
   */
  setPropertyOptions(dataSourceId: string, name: string, options: readonly OptionInput[]): void {
    const ds = this.dataSource(dataSourceId);
    const inUse = new Set<string>();
    for (const page of this.pagesOf(ds)) {
      const value = page.properties[name];
      if (value?.type === 'select' && value.select) inUse.add(value.select.name);
      if (value?.type === 'status' && value.status) inUse.add(value.status.name);
      if (value?.type === 'multi_select') for (const o of value.multi_select) inUse.add(o.name);
    }
    ds.schema.setOptions(name, options, inUse);
    this.version++;
  }

  /** Renames a property: same id, and page objects show the new name (as Notion, which keys values by id). */
  renameProperty(dataSourceId: string, oldName: string, newName: string): void {
    const ds = this.dataSource(dataSourceId);
    const property = ds.schema.rename(oldName, newName);
    if (property.type !== 'title' && oldName !== newName)
      for (const page of this.pagesOf(ds)) {
        const value = page.properties[oldName];
        if (value === undefined) continue;
        delete page.properties[oldName];
        page.properties[newName] = value;
      }
    this.version++;
  }

  /**
   * Changes a property's type, keeping its id. Each page's value becomes
   * `valueFor(oldValue, page)` (a value of the new type), or the new type's
   * empty value when `valueFor` is absent or returns null.
   */
  changePropertyType(
    dataSourceId: string,
    name: string,
    type: FakePropertyType,
    valueFor?: (old: ShownValue, page: FakePage) => FakePropertyValue | null,
  ): void {
    const ds = this.dataSource(dataSourceId);
    const property = ds.schema.get(name);
    if (!property) throw new Error(`no property ${name} in data source ${dataSourceId}`);
    // Every new value first, so a bad one changes nothing.
    const pages = this.pagesOf(ds).map((page) => {
      const next = valueFor?.(this.propertyValue(page, property), page) ?? null;
      if (next !== null && next.type !== type)
        throw new Error(`valueFor gave a ${next.type} value for a ${type} property`);
      return [page, next] as const;
    });
    ds.schema.changeType(name, type);
    for (const [page, next] of pages) {
      delete page.properties[name];
      if (next === null) continue;
      page.properties[name] = next;
      ds.schema.noteValue(property, next);
    }
    this.version++;
  }

  // -------------------------------------------------------------------- pages

  /** Adds a page; the third argument is its creation time or the options. */
  addPage(dataSourceId: string, title: string, atOrOptions: Date | AddPageOptions = {}): FakePage {
    const options = atOrOptions instanceof Date ? { at: atOrOptions } : atOrOptions;
    const ds = this.dataSource(dataSourceId);
    const time = toMinute(options.at ?? this.now());
    const author = this.user(options.createdBy);
    const page: PageRecord = {
      id: normalizeId(options.id ?? randomUUID()),
      databaseId: ds.databaseId,
      dataSourceId: ds.id,
      title,
      properties: {},
      createdTime: time,
      lastEditedTime: time,
      inTrash: false,
      createdBy: author,
      lastEditedBy: author,
      icon: this.pageImage(options.icon ?? null),
      cover: this.pageImage(options.cover ?? null),
    };
    this.setProperties(ds, page, options.properties ?? {});
    if (options.body) this.writeBody(page.id, options.body, time);
    this.pages.set(page.id, page);
    this.version++;
    return page;
  }

  /** Seeds many pages at once (12,000 in well under a second), creation times `stepMs` apart. */
  addPages(dataSourceId: string, count: number, options: AddPagesOptions = {}): FakePage[] {
    const start = (options.start ?? new Date(Date.UTC(2025, 0, 1))).getTime();
    const step = options.stepMs ?? 60_000;
    const added: FakePage[] = [];
    for (let i = 0; i < count; i++)
      added.push(
        this.addPage(dataSourceId, options.title?.(i) ?? `Page ${i + 1}`, {
          at: new Date(start + i * step),
          properties: options.properties?.(i),
        }),
      );
    return added;
  }

  getPage(pageId: string): FakePage | undefined {
    return this.pages.get(normalizeId(pageId));
  }

  /** Every page (trashed ones too), optionally of one data source. */
  listPages(dataSourceId?: string): FakePage[] {
    const all = [...this.pages.values()];
    return dataSourceId ? all.filter((p) => p.dataSourceId === normalizeId(dataSourceId)) : all;
  }

  /** Changes a page: `last_edited_time` becomes `at` (minute-rounded). */
  editPage(pageId: string, change: PageChange, at = this.now()): FakePage {
    const page = this.page(pageId);
    if (change.title !== undefined) page.title = change.title;
    if (change.inTrash !== undefined) page.inTrash = change.inTrash;
    if (change.properties) this.setProperties(this.dataSource(page.dataSourceId), page, change.properties);
    if (change.icon !== undefined) page.icon = this.pageImage(change.icon);
    if (change.cover !== undefined) page.cover = this.pageImage(change.cover);
    page.lastEditedTime = toMinute(at);
    page.lastEditedBy = this.user(change.editedBy);
    this.version++;
    return page;
  }

  /** Moves a page to the trash: queries stop returning it; `GET /v1/pages/:id` shows `in_trash: true`. */
  trashPage(pageId: string, at = this.now()): FakePage {
    return this.editPage(pageId, { inTrash: true }, at);
  }

  restorePage(pageId: string, at = this.now()): FakePage {
    return this.editPage(pageId, { inTrash: false }, at);
  }

  /** The API cannot delete a page for good, only trash it: the same here. */
  deletePage(pageId: string, at = this.now()): FakePage {
    return this.trashPage(pageId, at);
  }

  // ------------------------------------------------------------------ content

  /**
   * Replaces the page's body (a tree of blocks) and moves its
   * `last_edited_time` to `at` (minute-rounded), as an edit in Notion does.
   * Returns the blocks with their ids; an input's `id` keeps a block's identity.
   */
  setBody(pageId: string, blocks: readonly FakeBlockInput[], at = this.now()): FakeBlock[] {
    const page = this.page(pageId);
    this.writeBody(page.id, blocks, toMinute(at));
    page.lastEditedTime = toMinute(at);
    page.lastEditedBy = this.user(undefined);
    this.version++;
    return this.getBody(page.id);
  }

  /** The page's body as the fake holds it (empty if never set). */
  getBody(pageId: string): FakeBlock[] {
    return [...(this.bodies.get(this.page(pageId).id) ?? [])];
  }

  /** Sets the body and sends `page.content_updated` naming the blocks added, changed or removed. */
  async editBodyAndNotify(
    pageId: string,
    blocks: readonly FakeBlockInput[],
    options: NotifyOptions,
  ): Promise<NotifyResult> {
    const before = this.getBody(pageId);
    const after = this.setBody(pageId, blocks, options.at);
    const deliveries = await this.notifyPage('page.content_updated', pageId, options, {
      updated_blocks: changedBlockIds(before, after).map((id) => ({ id, type: 'block' })),
    });
    return { page: this.page(pageId), deliveries };
  }

  /**
   * Past this many characters `GET /v1/pages/:id/markdown` answers whole
   * top-level blocks up to the limit, `truncated: true`, and the ids of the
   * blocks left out in `unknown_block_ids`; null: no limit (the default).
   */
  setMarkdownLimit(chars: number | null): void {
    if (chars !== null && (!Number.isInteger(chars) || chars < 0))
      throw new Error(`the markdown limit must be a whole number of characters or null, not ${chars}`);
    this.markdownCharLimit = chars;
  }

  get markdownLimit(): number | null {
    return this.markdownCharLimit;
  }

  /** The integration loses the read-content capability: 403 `restricted_resource` on the markdown and block endpoints. */
  denyContent(token: string): void {
    this.contentDenied.add(token);
  }

  allowContent(token: string): void {
    this.contentDenied.delete(token);
  }

  // -------------------------------------------------------------------- files

  /** Hosts a file's bytes (content type from the name's extension unless given), to reference from blocks, `files` values, icons and covers. */
  hostFile(name: string, bytes: Buffer | string, contentType?: string): HostedFile {
    return this.files.host(name, bytes, contentType);
  }

  /** A URL for the file signed now (as every render signs one): what a test compares an API answer with. */
  signFileUrl(file: HostedFile): SignedFile {
    return this.files.sign(file, this.url, this.now());
  }

  /** Seconds a hosted file's signed URL stays valid (`X-Amz-Expires`); default 3600. Applies to URLs signed from now on. */
  setFileUrlExpiry(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 1)
      throw new Error(`the file URL expiry must be a whole number of seconds, at least 1, not ${seconds}`);
    this.files.expirySeconds = seconds;
  }

  get fileUrlExpirySeconds(): number {
    return this.files.expirySeconds;
  }

  /**
   * `POST /v1/data_sources/:id/query` without HTTP, token or rate limit: the
   * same answer, or the same 400 as a thrown `QueryValidationError`.
   */
  queryDataSource(dataSourceId: string, body: Record<string, unknown> = {}): QueryDataSourceResponse {
    try {
      return this.query(this.dataSource(dataSourceId), body, false) as QueryDataSourceResponse;
    } catch (err) {
      if (err instanceof NotionError && err.code === 'validation_error') throw new QueryValidationError(err.message);
      throw err;
    }
  }

  snapshot(): FakeNotionSnapshot {
    return {
      databases: [...this.databases.values()].map((db) => ({
        id: db.id,
        title: db.title,
        dataSources: db.dataSourceIds.map((id) => ({ id, name: this.dataSource(id).name })),
      })),
      pages: [...this.pages.values()].map((p) => ({ ...p, properties: { ...p.properties } })),
      grants: Object.fromEntries([...this.grants].map(([token, dbs]) => [token, [...dbs]])),
      requests: this.requests.length,
    };
  }

  // ------------------------------------------------------------------- faults

  /** Turns the per-token rate limit on (`{ perSecond: 3, burst: 10 }` is close to Notion's) or off (`null`). */
  rateLimit(limit: RateLimit | null): this {
    this.limit = limit;
    this.buckets.clear();
    return this;
  }

  /** A 429 storm: the next `count` requests (of `token`, if given) answer 429 `rate_limited` with `Retry-After`. */
  injectRateLimited(injection: RateLimitedInjection = {}): void {
    this.injectedRateLimits.push({ remaining: injection.count ?? 1, spec: injection });
  }

  /** The next `count` requests matching `path`/`method` answer `status` with Notion's JSON error body. */
  injectFailure(injection: FailureInjection): void {
    this.failures.push({ remaining: injection.count ?? 1, spec: injection });
  }

  /**
   * Delays the answer to the next `count` matching requests by `ms`. The answer
   * is computed when the request arrives, so a slow fetch returns the state as
   * it was then: stale data arriving late.
   */
  injectLatency(injection: LatencyInjection): void {
    this.latencies.push({ remaining: injection.count ?? 1, spec: injection });
  }

  clearInjections(): void {
    this.injectedRateLimits.length = 0;
    this.failures.length = 0;
    this.latencies.length = 0;
  }

  // ---------------------------------------------------------------- request log

  /** Requests received and not yet answered (a delayed one counts from arrival). */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The most requests `token` made within any `windowMs`-long window (to check pacing, e.g. <= 33 per 10 s). */
  maxRequestsInWindow(token: string, windowMs: number): number {
    const times = this.requests
      .filter((r) => r.token === token)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    let max = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= windowMs) start++;
      max = Math.max(max, end - start + 1);
    }
    return max;
  }

  /** Empties `requests` and `fileRequests`. */
  clearRequests(): void {
    this.requests.length = 0;
    this.fileRequests.length = 0;
  }

  // ----------------------------------------------------------------- webhooks

  /** What every envelope says about its origin. */
  get webhookOrigin(): WebhookOrigin {
    return {
      workspaceId: this.workspaceId,
      workspaceName: this.workspaceName,
      subscriptionId: this.subscriptionId,
      integrationId: this.integrationId,
      apiVersion: this.webhookApiVersion,
      authors: [{ id: this.userId, type: 'person' }],
    };
  }

  /** Sends one signed event, as Notion would, to `url`. */
  sendWebhook(args: SendWebhookArgs): Promise<WebhookDelivery> {
    return sendWebhook(this.webhookOrigin, args);
  }

  /** Notion's subscription handshake: POSTs `{verification_token}` and returns the token sent. */
  handshake(url: string, options: { verificationToken?: string; signed?: boolean } = {}): Promise<HandshakeResult> {
    return sendHandshake(url, options);
  }

  /**
   * Sends a page event about the page's current parent (`data.parent` is the
   * database, with `data_source_id`), after `delayMs`, once or (with
   * `duplicate`) twice with the same event id.
   */
  async notifyPage(
    type: string,
    pageId: string,
    options: NotifyOptions,
    data: Record<string, unknown> = {},
  ): Promise<WebhookDelivery[]> {
    const page = this.page(pageId);
    const eventId = randomUUID();
    // The event's time is the change's, not the delivery's: a late delivery keeps its old timestamp.
    const timestamp = new Date().toISOString();
    const args = {
      url: options.url,
      verificationToken: options.verificationToken,
      type,
      eventId,
      timestamp,
      entity: { id: page.id, type: 'page' },
      data: { parent: { id: page.databaseId, type: 'database', data_source_id: page.dataSourceId }, ...data },
    };
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const deliveries = [await this.sendWebhook({ ...args, attemptNumber: 1 })];
    if (options.duplicate) deliveries.push(await this.sendWebhook({ ...args, attemptNumber: 2 }));
    return deliveries;
  }

  /** Edits the page and sends `page.properties_updated` with the ids of the changed properties. */
  async editAndNotify(pageId: string, change: PageChange, options: NotifyOptions): Promise<NotifyResult> {
    const page = this.editPage(pageId, change, options.at);
    const ds = this.dataSource(page.dataSourceId);
    const updated = [
      ...(change.title !== undefined ? [TITLE_ID] : []),
      ...Object.keys(change.properties ?? {}).map((name) => ds.schema.get(name)!.id),
    ];
    const deliveries = await this.notifyPage('page.properties_updated', page.id, options, {
      updated_properties: updated,
    });
    return { page, deliveries };
  }

  /** Trashes the page and sends `page.deleted`. */
  async trashAndNotify(pageId: string, options: NotifyOptions): Promise<NotifyResult> {
    const page = this.trashPage(pageId, options.at);
    return { page, deliveries: await this.notifyPage('page.deleted', page.id, options) };
  }

  /** Restores the page from the trash and sends `page.undeleted`. */
  async restoreAndNotify(pageId: string, options: NotifyOptions): Promise<NotifyResult> {
    const page = this.restorePage(pageId, options.at);
    return { page, deliveries: await this.notifyPage('page.undeleted', page.id, options) };
  }

  /** Adds a page and sends `page.created`. */
  async createAndNotify(
    dataSourceId: string,
    title: string,
    options: NotifyOptions & {
      properties?: Readonly<Record<string, FakePropertyValue>>;
      id?: string;
      body?: readonly FakeBlockInput[];
    },
  ): Promise<NotifyResult> {
    const page = this.addPage(dataSourceId, title, {
      at: options.at,
      properties: options.properties,
      id: options.id,
      body: options.body,
    });
    return { page, deliveries: await this.notifyPage('page.created', page.id, options) };
  }

  // ------------------------------------------------------------------- server

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('FakeNotion already started');
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    return this.url;
  }

  get url(): string {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('FakeNotion is not listening');
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** Stops at once: delayed answers are dropped and open connections closed. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake-notion');
    if (url.pathname.startsWith('/_files/')) {
      this.serveFile(req, res, url, at);
      return;
    }
    if (url.pathname.startsWith('/_fake/')) {
      if (this.control) await this.control(req, res, url.pathname);
      else sendJson(res, 404, { error: 'the control API is off (new FakeNotion({ controlApi: true }))' });
      return;
    }
    this.inFlightCount++;
    try {
      const method = req.method ?? 'GET';
      const rawBody = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
      const ctx: RequestContext = {
        method,
        path: normalizePath(url.pathname),
        query: url.searchParams,
        token: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1],
        version: header(req, 'notion-version'),
        rawBody,
      };
      const latency = this.take(this.latencies, (l) => matches(l, ctx) && (!l.pageId || aboutPage(ctx.path, l.pageId)));
      // Everything is decided and serialized now, at arrival: a delayed answer shows the state of this moment.
      const reply = this.answer(ctx);
      const payload = JSON.stringify(reply.body);
      if (latency) await this.sleep(latency.ms);
      this.requests.push({
        at,
        method,
        path: url.pathname,
        search: url.search,
        token: ctx.token,
        status: reply.status,
        ...(rawBody ? { body: safeJson(rawBody) } : {}),
      });
      if (!res.destroyed)
        res
          .writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json; charset=utf-8' })
          .end(payload);
    } catch (err) {
      // A broken request (e.g. the client went away mid-body) must not crash the server.
      if (!res.headersSent)
        sendJson(res, 500, { object: 'error', status: 500, code: 'internal_server_error', message: String(err) });
      else res.destroy();
    } finally {
      this.inFlightCount--;
    }
  }

  /** A hosted file's bytes, as S3 serves a presigned URL: no auth, no Notion rate limit. */
  private serveFile(req: IncomingMessage, res: ServerResponse, url: URL, at: number): void {
    const method = req.method ?? 'GET';
    const reply =
      method === 'GET' || method === 'HEAD'
        ? this.files.serve(method, url.pathname, url.searchParams, this.now())
        : { status: 405, headers: { allow: 'GET, HEAD' }, body: Buffer.alloc(0) };
    this.fileRequests.push({ at, method, path: url.pathname, search: url.search, status: reply.status });
    if (!res.destroyed) res.writeHead(reply.status, reply.headers).end(reply.body);
  }

  private answer(ctx: RequestContext): Reply {
    try {
      const storm = this.take(this.injectedRateLimits, (r) => !r.token || r.token === ctx.token);
      if (storm) throw rateLimited(storm.retryAfterSeconds ?? 1);
      const failure = this.take(this.failures, (f) => matches(f, ctx));
      if (failure) {
        const defaults = DEFAULT_CODES[failure.status];
        throw new NotionError(
          failure.status,
          failure.code ?? defaults.code,
          failure.message ?? defaults.message,
          failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {},
        );
      }
      if (!ctx.version)
        throw new NotionError(
          400,
          'missing_version',
          'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
        );
      const grants = ctx.token && !this.revoked.has(ctx.token) ? this.grants.get(ctx.token) : undefined;
      if (!ctx.token || !grants) throw new NotionError(401, 'unauthorized', 'API token is invalid.');
      const wait = this.takeRateToken(ctx.token);
      if (wait !== undefined) throw rateLimited(wait);
      return { status: 200, body: this.route(ctx, grants) };
    } catch (err) {
      const e =
        err instanceof NotionError
          ? err
          : err instanceof QueryValidationError
            ? validation(err.message)
            : new NotionError(500, 'internal_server_error', (err as Error).message);
      return {
        status: e.status,
        headers: e.headers,
        body: { object: 'error', status: e.status, code: e.code, message: e.message, request_id: randomUUID() },
      };
    }
  }

  private route(ctx: RequestContext, grants: Set<string>): unknown {
    const legacy = ctx.version! < IN_TRASH_ONLY_VERSION;
    const { method, path } = ctx;
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/v1\/pages\/([\w-]+)$/.exec(path)))
      return this.pageObject(this.visiblePage(m[1]!, grants), legacy);
    if (method === 'GET' && (m = /^\/v1\/pages\/([\w-]+)\/properties\/([^/]+)$/.exec(path)))
      return this.propertyItems(this.visiblePage(m[1]!, grants), decodeURIComponent(m[2]!), ctx.query);
    if (method === 'GET' && (m = /^\/v1\/pages\/([\w-]+)\/markdown$/.exec(path)))
      return this.markdown(m[1]!, ctx.token!, grants);
    if (method === 'GET' && (m = /^\/v1\/blocks\/([\w-]+)\/children$/.exec(path)))
      return this.blockChildren(m[1]!, ctx, grants, legacy);
    if (method === 'GET' && (m = /^\/v1\/databases\/([\w-]+)$/.exec(path))) {
      const db = this.databases.get(m[1]!);
      if (!db || !grants.has(db.id)) throw notFound('database', m[1]!);
      return this.databaseObject(db, legacy);
    }
    if (method === 'GET' && (m = /^\/v1\/data_sources\/([\w-]+)$/.exec(path)))
      return this.dataSourceObject(this.visibleDataSource(m[1]!, grants), legacy);
    if (method === 'POST' && (m = /^\/v1\/data_sources\/([\w-]+)\/query$/.exec(path))) {
      const ds = this.visibleDataSource(m[1]!, grants);
      return this.query(ds, parseBody(ctx.rawBody), legacy);
    }
    if (method === 'GET' && path === '/v1/users/me')
      return {
        object: 'user',
        id: this.botId,
        name: 'Fake integration',
        avatar_url: null,
        type: 'bot',
        bot: { owner: { type: 'workspace', workspace: true }, workspace_name: this.workspaceName },
      };
    throw new NotionError(400, 'invalid_request_url', 'Invalid request URL.');
  }

  // ------------------------------------------------------------------ content

  /** `GET /v1/pages/:id/markdown`: a page's body, or (a block id) one block with its children. */
  private markdown(id: string, token: string, grants: Set<string>): unknown {
    this.requireContent(token);
    const { page, block } = this.contentTarget(id, grants, 'page');
    const ctx = this.markdownContext(page.id, grants);
    if (!block)
      return { object: 'page_markdown', id: page.id, ...bodyMarkdown(this.body(page.id), ctx, this.markdownLimit) };
    if (block.type === 'unsupported')
      throw validation(`Block ${id} is of a type the markdown endpoint does not support (${block.blockType}).`);
    if (unrenderable(block, ctx) === 'unshared') throw notFound('block', id);
    // A sub-page the fake holds no page for: Notion would answer its (here empty) content.
    if (block.type === 'child_page')
      return { object: 'page_markdown', id: block.id, markdown: '', truncated: false, unknown_block_ids: [] };
    return { object: 'page_markdown', id: block.id, ...blockMarkdown(block, ctx, this.markdownLimit) };
  }

  /** `GET /v1/blocks/:id/children`: a page's top-level blocks or a block's children, paginated, cursors being block ids. */
  private blockChildren(id: string, ctx: RequestContext, grants: Set<string>, legacy: boolean): unknown {
    this.requireContent(ctx.token!);
    const { page, block } = this.contentTarget(id, grants, 'block');
    // A child page block whose page the token could see was answered as that page.
    if (block?.type === 'child_page' && block.pageId) throw notFound('block', id);
    const children = block ? block.children : this.body(page.id);
    const parent: BlockParent = block
      ? { type: 'block_id', block_id: block.id }
      : { type: 'page_id', page_id: page.id };
    const size = pageSize(ctx.query.get('page_size') ?? undefined, 'query.page_size');
    const rawCursor = ctx.query.get('start_cursor');
    const start = rawCursor ? children.findIndex((b) => b.id === normalizeId(rawCursor)) : 0;
    if (start < 0) throw validation(`The start_cursor provided is invalid: ${JSON.stringify(rawCursor)}.`);
    const next = children[start + size];
    const objects = this.blockObjectContext(legacy);
    return {
      object: 'list',
      results: children.slice(start, start + size).map((child) => blockObject(child, parent, objects)),
      next_cursor: next?.id ?? null,
      has_more: next !== undefined,
      type: 'block',
      block: {},
    };
  }

  /** The page, or the block and its page, an id names; 404 unless the token sees the page. */
  private contentTarget(id: string, grants: Set<string>, kind: string): { page: PageRecord; block?: FakeBlock } {
    if (this.pages.has(id)) return { page: this.visiblePage(id, grants) };
    const entry = this.blockIndex.get(id);
    const page = entry && this.pages.get(entry.pageId);
    if (!entry || !page || !grants.has(page.databaseId)) throw notFound(kind, id);
    return { page, block: entry.block };
  }

  private requireContent(token: string): void {
    if (this.contentDenied.has(token))
      throw new NotionError(403, 'restricted_resource', 'Insufficient permissions for this endpoint.');
  }

  private body(pageId: string): readonly FakeBlock[] {
    return this.bodies.get(pageId) ?? [];
  }

  /** Builds and indexes a page's new body (`at` minute-rounded); throws, changing nothing, on a bad input. */
  private writeBody(pageId: string, inputs: readonly FakeBlockInput[], at: string): void {
    const before = this.body(pageId);
    const blocks = buildBlocks(inputs, {
      at,
      previous: new Map([...walkBlocks(before)].map(({ block }) => [block.id, block])),
      newId: randomUUID,
      normalizeId,
      resolveFile: (file) => this.files.resolve(file),
      taken: (id) => (this.blockIndex.get(id)?.pageId ?? pageId) !== pageId,
    });
    for (const { block } of walkBlocks(before)) this.blockIndex.delete(block.id);
    for (const { block } of walkBlocks(blocks)) this.blockIndex.set(block.id, { block, pageId });
    this.bodies.set(pageId, blocks);
  }

  private markdownContext(pageId: string, grants: Set<string>): MarkdownContext {
    return {
      pageId,
      visiblePage: (id) => {
        const page = this.pages.get(id);
        return page && grants.has(page.databaseId)
          ? { title: page.title, url: notionUrl(page.title, page.id) }
          : undefined;
      },
      pageUrl: notionUrl,
      fileUrl: (file) => {
        const shown = this.fileObject(file);
        return shown.type === 'file' ? shown.file.url : shown.external.url;
      },
    };
  }

  private blockObjectContext(legacy: boolean): BlockObjectContext {
    return {
      legacy,
      userId: this.userId,
      fileObject: (file) => this.fileObject(file),
      // A child page's children are its page's body.
      hasChildren: (block) =>
        block.type === 'child_page' && block.pageId ? this.body(block.pageId).length > 0 : block.children.length > 0,
    };
  }

  /** A hosted file signed now, or an external URL as it is. */
  private fileObject(file: FakeFileSource): FileObject {
    return 'external' in file
      ? { type: 'external', external: { url: file.external } }
      : { type: 'file', file: this.signFileUrl(file) };
  }

  /** An icon or cover as stored: a hosted file resolved to the fake's own record. */
  private pageImage<T extends FakeIcon | FakeCover>(image: T | null): T | null {
    return image && 'hosted' in image ? ({ hosted: this.files.resolve(image.hosted) } as T) : image;
  }

  private imageObject(image: FakeIcon | FakeCover | null): unknown {
    if (!image) return null;
    if ('emoji' in image) return { type: 'emoji', emoji: image.emoji };
    return this.fileObject('external' in image ? image : image.hosted);
  }

  /** A value as the API shows it: hosted files (in `files` values and rollups of them) signed now. */
  private withFileUrls(value: ShownValue): ShownValue {
    const shown = (file: FileValue): FileValue =>
      file.type === 'hosted' ? { name: file.name, type: 'file', file: this.signFileUrl(file.hosted) } : file;
    if (value.type === 'files') return { type: 'files', files: value.files.map(shown) };
    if (value.type === 'rollup' && value.rollup.type === 'array')
      return {
        type: 'rollup',
        rollup: { ...value.rollup, array: value.rollup.array.map((item) => this.withFileUrls(item) as RollupItem) },
      };
    return value;
  }

  // ------------------------------------------------------------------ queries

  private query(ds: DataSourceRecord, body: Record<string, unknown>, legacy: boolean): unknown {
    const size = pageSize(body['page_size'], 'body.page_size');
    const compiled = compileQuery({ filter: body['filter'], sorts: body['sorts'] }, this.queryContext(ds));
    const fingerprint = queryFingerprint(ds.id, body['filter'], compiled.sorts);
    const rows = this.queryRows(ds.id, fingerprint, compiled);
    let start = 0;
    let delivered = 0;
    const rawCursor = body['start_cursor'];
    if (rawCursor !== undefined && rawCursor !== null) {
      const cursor = typeof rawCursor === 'string' ? decodeCursor(rawCursor) : undefined;
      // Notion's cursors belong to one query: another filter or sort cannot reuse them.
      if (!cursor || cursor.q !== fingerprint || cursor.next.keys.length !== compiled.sorts.length)
        throw validation(`The start_cursor provided is invalid: ${JSON.stringify(rawCursor)}.`);
      start = lowerBound(rows, cursor.next, positionComparator(compiled));
      delivered = cursor.n;
    }
    const slice = rows.slice(start, start + Math.max(0, Math.min(size, this.resultCap - delivered)));
    const end = start + slice.length;
    const more = end < rows.length;
    // One query returns at most resultCap rows: past it, Notion says incomplete and stops.
    const capped = more && delivered + slice.length >= this.resultCap;
    const next = more && !capped ? rows[end] : undefined;
    return {
      object: 'list',
      results: slice.map((entry) => this.pageObject(entry.row.page, legacy)),
      next_cursor: next
        ? encodeCursor({ q: fingerprint, n: delivered + slice.length, next: { id: next.row.id, keys: next.keys } })
        : null,
      has_more: next !== undefined,
      type: 'page_or_data_source',
      page_or_data_source: {},
      request_status: capped
        ? { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' }
        : { type: 'complete' },
    };
  }

  /** Properties by id or name, as the query engine reads them. */
  private queryContext(ds: DataSourceRecord): QueryContext<IndexedRow> {
    return {
      now: this.now(),
      property: (nameOrId) => {
        const property = ds.schema.resolve(nameOrId);
        if (!property) return undefined;
        return {
          id: property.id,
          type: property.type,
          options: property.options.map((o) => o.name),
          read: (row) => this.propertyValue(row.page, property),
        };
      },
    };
  }

  /** The query's rows in order, cached until the next change (so 120 cursor pages do not re-sort 12,000 rows). */
  private queryRows(
    dataSourceId: string,
    fingerprint: string,
    query: CompiledQuery<IndexedRow>,
  ): SortedRow<IndexedRow>[] {
    // Relative dates (`today`) make the same query mean other rows on another day.
    const cacheKey = `${fingerprint}@${this.now().toISOString().slice(0, 10)}`;
    const cached = this.queryCache.get(cacheKey);
    if (cached?.version === this.version) return cached.rows;
    if (!this.rowIndex || this.rowIndex.version !== this.version) {
      const byDataSource = new Map<string, IndexedRow[]>();
      for (const page of this.pages.values()) {
        if (page.inTrash) continue; // queries never return trashed pages
        const list = byDataSource.get(page.dataSourceId) ?? [];
        list.push({
          id: page.id,
          created: Date.parse(page.createdTime),
          edited: Date.parse(page.lastEditedTime),
          page,
        });
        byDataSource.set(page.dataSourceId, list);
      }
      this.rowIndex = { version: this.version, byDataSource };
      this.queryCache.clear();
    }
    const rows = runQuery(this.rowIndex.byDataSource.get(dataSourceId) ?? [], query);
    this.queryCache.delete(cacheKey);
    this.queryCache.set(cacheKey, { version: this.version, rows });
    if (this.queryCache.size > 32) this.queryCache.delete(this.queryCache.keys().next().value!);
    return rows;
  }

  // ---------------------------------------------------------------- property items

  private propertyItems(page: PageRecord, propertyId: string, query: URLSearchParams): unknown {
    const ds = this.dataSource(page.dataSourceId);
    const entry = ds.schema.withId(propertyId);
    if (!entry) throw notFound('property', propertyId);
    const value = this.withFileUrls(ds.schema.shown(entry, this.propertyValue(page, entry)));
    const items = listItems(value);
    if (!items) return propertyItem(entry.id, value.type, (value as Record<string, unknown>)[value.type]);

    const size = pageSize(query.get('page_size') ?? undefined, 'query.page_size');
    let start = 0;
    const rawCursor = query.get('start_cursor');
    if (rawCursor) {
      const decoded = decodePropertyCursor(rawCursor);
      if (!decoded || decoded.pageId !== page.id || decoded.propertyId !== entry.id)
        throw validation(`The start_cursor provided is invalid: ${JSON.stringify(rawCursor)}.`);
      start = decoded.index;
    }
    const end = Math.min(start + size, items.length);
    const nextCursor = end < items.length ? encodePropertyCursor(page.id, entry.id, end) : null;
    const self = `${this.url}/v1/pages/${page.id}/properties/${encodeURIComponent(entry.id)}`;
    return {
      object: 'list',
      results: items.slice(start, end).map((item) => propertyItem(entry.id, value.type, item)),
      next_cursor: nextCursor,
      has_more: nextCursor !== null,
      type: 'property_item',
      property_item: {
        id: entry.id,
        type: value.type,
        next_url: nextCursor ? `${self}?start_cursor=${encodeURIComponent(nextCursor)}` : null,
        [value.type]: {},
      },
    };
  }

  // --------------------------------------------------------------------- objects

  private pageObject(page: PageRecord, legacy: boolean): Record<string, unknown> {
    const ds = this.dataSource(page.dataSourceId);
    // Every property of the data source, as Notion lists them: unset ones with their empty value.
    const properties: Record<string, unknown> = {};
    for (const property of ds.schema.properties())
      properties[property.name] = pageObjectValue(
        property.id,
        this.withFileUrls(ds.schema.shown(property, this.propertyValue(page, property))),
      );
    return {
      object: 'page',
      id: page.id,
      created_time: page.createdTime,
      last_edited_time: page.lastEditedTime,
      in_trash: page.inTrash,
      ...(legacy ? { archived: page.inTrash } : {}),
      is_locked: false,
      url: notionUrl(page.title, page.id),
      public_url: null,
      parent: { type: 'data_source_id', data_source_id: page.dataSourceId, database_id: page.databaseId },
      properties,
      icon: this.imageObject(page.icon),
      cover: this.imageObject(page.cover),
      created_by: { object: 'user', id: page.createdBy.id },
      last_edited_by: { object: 'user', id: page.lastEditedBy.id },
    };
  }

  private databaseObject(db: DatabaseRecord, legacy: boolean): Record<string, unknown> {
    return {
      object: 'database',
      id: db.id,
      title: [richTextItem(db.title)],
      description: [],
      parent: { type: 'workspace', workspace: true },
      is_inline: false,
      in_trash: false,
      ...(legacy ? { archived: false } : {}),
      is_locked: false,
      created_time: db.createdTime,
      last_edited_time: db.createdTime,
      data_sources: db.dataSourceIds.map((id) => ({ id, name: this.dataSource(id).name })),
      icon: null,
      cover: null,
      url: notionUrl(db.title, db.id),
      public_url: null,
    };
  }

  private dataSourceObject(ds: DataSourceRecord, legacy: boolean): Record<string, unknown> {
    const user = { object: 'user', id: this.userId };
    const target = { databaseId: ds.databaseId, dataSourceId: ds.id };
    return {
      object: 'data_source',
      id: ds.id,
      title: [richTextItem(ds.name)],
      description: [],
      parent: { type: 'database_id', database_id: ds.databaseId },
      database_parent: { type: 'workspace', workspace: true },
      is_inline: false,
      in_trash: false,
      ...(legacy ? { archived: false } : {}),
      created_time: ds.createdTime,
      last_edited_time: ds.createdTime,
      created_by: user,
      last_edited_by: user,
      properties: ds.schema.toObject(target),
      icon: null,
      cover: null,
      url: notionUrl(ds.name, ds.id),
      public_url: null,
    };
  }

  // --------------------------------------------------------------------- helpers

  /** What a page shows for a property: its stored value, a value derived from the page, or the empty value. */
  private propertyValue(page: PageRecord, property: SchemaProperty): ShownValue {
    switch (property.type) {
      case 'title':
        return titleValue(page.title);
      case 'created_time':
        return { type: 'created_time', created_time: page.createdTime };
      case 'last_edited_time':
        return { type: 'last_edited_time', last_edited_time: page.lastEditedTime };
      case 'created_by':
        return { type: 'created_by', created_by: userValue(page.createdBy) };
      case 'last_edited_by':
        return { type: 'last_edited_by', last_edited_by: userValue(page.lastEditedBy) };
    }
    const stored = page.properties[property.name];
    return stored?.type === property.type ? stored : emptyValue(property)!;
  }

  private setProperties(
    ds: DataSourceRecord,
    page: PageRecord,
    properties: Readonly<Record<string, FakePropertyValue>>,
  ): void {
    for (const [name, value] of Object.entries(properties)) {
      let property = ds.schema.get(name);
      if (property?.type === 'title') throw new Error(`set the title with \`title\`, not the ${name} property`);
      if (!property) property = ds.schema.ensure(name, value.type, value.id);
      // A value of another type changes the property's type, as in Notion: other pages' values go.
      else if (property.type !== value.type) this.changePropertyType(ds.id, name, value.type);
      page.properties[name] = value.type === 'files' ? this.withHostedFiles(value) : value;
      ds.schema.noteValue(property, value);
    }
  }

  /** A `files` value whose hosted files are resolved to the fake's own records (throws for one it does not host). */
  private withHostedFiles(value: FakePropertyValue & { type: 'files' }): FakePropertyValue {
    return {
      ...value,
      files: value.files.map((file) =>
        file.type === 'hosted' ? { ...file, hosted: this.files.resolve(file.hosted) } : file,
      ),
    };
  }

  /** A change's author: the given user, or the fake's default person. */
  private user(user: string | FakeUser | undefined): FakeUser {
    if (user === undefined) return { id: this.userId };
    return typeof user === 'string' ? { id: user } : user;
  }

  private pagesOf(ds: DataSourceRecord): PageRecord[] {
    return [...this.pages.values()].filter((page) => page.dataSourceId === ds.id);
  }

  private page(pageId: string): PageRecord {
    const page = this.pages.get(normalizeId(pageId));
    if (!page) throw new Error(`no page ${pageId}`);
    return page;
  }

  private dataSource(dataSourceId: string): DataSourceRecord {
    const ds = this.dataSources.get(normalizeId(dataSourceId));
    if (!ds) throw new Error(`no data source ${dataSourceId}`);
    return ds;
  }

  private visiblePage(id: string, grants: Set<string>): PageRecord {
    const page = this.pages.get(id);
    if (!page || !grants.has(page.databaseId)) throw notFound('page', id);
    return page;
  }

  private visibleDataSource(id: string, grants: Set<string>): DataSourceRecord {
    const ds = this.dataSources.get(id);
    if (!ds || !grants.has(ds.databaseId)) throw notFound('data source', id);
    return ds;
  }

  /** Takes one use of the first matching injection, if any. */
  private take<T>(list: Array<Counted<T>>, match: (spec: T) => boolean): T | undefined {
    const index = list.findIndex((c) => c.remaining > 0 && match(c.spec));
    const hit = list[index];
    if (!hit) return undefined;
    if (--hit.remaining <= 0) list.splice(index, 1);
    return hit.spec;
  }

  /** Token bucket; returns the seconds to wait when empty. */
  private takeRateToken(token: string): number | undefined {
    const limit = this.limit;
    if (!limit) return undefined;
    const now = Date.now();
    const bucket = this.buckets.get(token) ?? { tokens: limit.burst, last: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.last) / 1000) * limit.perSecond);
    bucket.last = now;
    this.buckets.set(token, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    // Notion's Retry-After is whole seconds.
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        resolve();
      }, ms);
      this.pendingTimers.add(timer);
    });
  }
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const matches = (spec: RequestMatch, ctx: RequestContext) => {
  if (spec.method && spec.method.toUpperCase() !== ctx.method) return false;
  if (spec.path) {
    spec.path.lastIndex = 0;
    if (!spec.path.test(ctx.path)) return false;
  }
  return true;
};

const aboutPage = (path: string, pageId: string) => path.startsWith(`/v1/pages/${normalizeId(pageId)}`);

const rateLimited = (retryAfterSeconds: number) =>
  new NotionError(429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.', {
    'retry-after': String(retryAfterSeconds),
  });

function parseBody(raw: string): Record<string, unknown> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new NotionError(400, 'invalid_json', 'Error parsing JSON body.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw validation('body failed validation: body should be an object.');
  return parsed as Record<string, unknown>;
}

const safeJson = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

/** `page_size`: 1 to 100, default 100 (Notion refuses anything else with a validation_error). */
function pageSize(raw: unknown, field: string): number {
  if (raw === undefined || raw === null) return MAX_PAGE_SIZE;
  const size = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
    throw validation(
      `${field.split('.')[0]} failed validation: ${field} should be a number between 1 and ${MAX_PAGE_SIZE}, instead was \`${JSON.stringify(raw)}\`.`,
    );
  return size;
}

const titleValue = (title: string): FakePropertyValue => ({ type: 'title', title: [richTextItem(title)] });

/** Notion's URLs: a slug of the title, then the id without dashes. */
function notionUrl(title: string, id: string): string {
  const slug =
    title
      .replace(/[^\w]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 50) || 'Untitled';
  return `https://www.notion.so/${slug}-${id.replace(/-/g, '')}`;
}

const encodePropertyCursor = (pageId: string, propertyId: string, index: number) =>
  Buffer.from(JSON.stringify([pageId, propertyId, index])).toString('base64url');

function decodePropertyCursor(raw: string): { pageId: string; propertyId: string; index: number } | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed)) return undefined;
    const [pageId, propertyId, index] = parsed as unknown[];
    if (typeof pageId !== 'string' || typeof propertyId !== 'string') return undefined;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) return undefined;
    return { pageId, propertyId, index };
  } catch {
    return undefined;
  }
}

export { QueryValidationError };
export type {
  FakeBlock,
  FakeBlockInput,
  FakeFileSource,
  FileRequest,
  HostedFile,
  SignedFile,
  FakePropertyValue,
  FakeUser,
  OptionInput,
  PropertyDefinition,
  ShownValue,
  WebhookAuthor,
  WebhookDelivery,
  WebhookTarget,
  HandshakeResult,
  SendWebhookArgs,
};
