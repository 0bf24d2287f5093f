import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * An in-memory Notion workspace on loopback that speaks Notion's wire format
 * (API 2025-09-03 and later: databases hold data sources), for tests and the
 * local demo. Checked against the real `@notionhq/client` (fake-notion.spec).
 *
 * First cut (the sync engine issue grows it): databases with data sources,
 * pages with minute-rounded `last_edited_time`, `GET /v1/pages/:id`,
 * `GET /v1/databases/:id`, `GET /v1/data_sources/:id`,
 * `POST /v1/data_sources/:id/query` with cursors, `page_size` and a
 * `last_edited_time` / `created_time` `on_or_after` filter, token checks
 * (401 `unauthorized`, 404 `object_not_found` for unshared objects), and a
 * request log with timestamps.
 */

export interface FakePage {
  readonly id: string;
  readonly databaseId: string;
  readonly dataSourceId: string;
  title: string;
  properties: Record<string, unknown>;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
}

interface FakeDatabase {
  readonly id: string;
  title: string;
  readonly dataSources: Array<{ id: string; name: string }>;
}

export interface LoggedRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly token: string | undefined;
  readonly status: number;
}

/** Notion reports times rounded down to the minute. */
const toMinute = (date: Date) => new Date(Math.floor(date.getTime() / 60_000) * 60_000).toISOString();

class NotionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeNotion {
  readonly requests: LoggedRequest[] = [];
  private readonly databases = new Map<string, FakeDatabase>();
  private readonly pages = new Map<string, FakePage>();
  /** token -> database ids shared with that integration */
  private readonly grants = new Map<string, Set<string>>();
  private server?: Server;

  /** Creates a database with `dataSourceNames.length` data sources; returns its ids. */
  addDatabase(title: string, dataSourceNames: string[] = ['Default']): { databaseId: string; dataSourceIds: string[] } {
    const id = randomUUID();
    const dataSources = dataSourceNames.map((name) => ({ id: randomUUID(), name }));
    this.databases.set(id, { id, title, dataSources });
    return { databaseId: id, dataSourceIds: dataSources.map((d) => d.id) };
  }

  /** Shares a database with an integration token (a token with no grants still authenticates). */
  share(token: string, databaseId?: string): void {
    const set = this.grants.get(token) ?? new Set<string>();
    if (databaseId) set.add(databaseId);
    this.grants.set(token, set);
  }

  addPage(dataSourceId: string, title: string, at = new Date()): FakePage {
    const database = [...this.databases.values()].find((d) => d.dataSources.some((s) => s.id === dataSourceId));
    if (!database) throw new Error(`no data source ${dataSourceId}`);
    const page: FakePage = {
      id: randomUUID(),
      databaseId: database.id,
      dataSourceId,
      title,
      properties: {},
      createdTime: toMinute(at),
      lastEditedTime: toMinute(at),
      inTrash: false,
    };
    this.pages.set(page.id, page);
    return page;
  }

  editPage(
    pageId: string,
    change: Partial<Pick<FakePage, 'title' | 'properties' | 'inTrash'>>,
    at = new Date(),
  ): FakePage {
    const page = this.pages.get(pageId);
    if (!page) throw new Error(`no page ${pageId}`);
    Object.assign(page, change, { lastEditedTime: toMinute(at) });
    return page;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let status = 200;
    let body: unknown;
    try {
      if (!req.headers['notion-version'])
        throw new NotionError(400, 'missing_version', 'Notion-Version header failed validation');
      const grants = token ? this.grants.get(token) : undefined;
      if (!grants) throw new NotionError(401, 'unauthorized', 'API token is invalid.');
      body = await this.route(req, path, grants);
    } catch (err) {
      const e =
        err instanceof NotionError ? err : new NotionError(500, 'internal_server_error', (err as Error).message);
      status = e.status;
      body = { object: 'error', status: e.status, code: e.code, message: e.message, request_id: randomUUID() };
    }
    this.requests.push({ at: Date.now(), method: req.method ?? 'GET', path, token, status });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async route(req: IncomingMessage, path: string, grants: Set<string>): Promise<unknown> {
    const notFound = (kind: string, id: string) =>
      new NotionError(
        404,
        'object_not_found',
        `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/v1\/pages\/([\w-]+)$/.exec(path))) {
      const page = this.pages.get(m[1]!);
      if (!page || !grants.has(page.databaseId)) throw notFound('page', m[1]!);
      return this.pageObject(page);
    }
    if (req.method === 'GET' && (m = /^\/v1\/databases\/([\w-]+)$/.exec(path))) {
      const db = this.databases.get(m[1]!);
      if (!db || !grants.has(db.id)) throw notFound('database', m[1]!);
      return {
        object: 'database',
        id: db.id,
        title: [{ type: 'text', text: { content: db.title, link: null }, plain_text: db.title, href: null }],
        data_sources: db.dataSources,
        in_trash: false,
      };
    }
    const source = (id: string) => {
      const db = [...this.databases.values()].find((d) => d.dataSources.some((s) => s.id === id));
      if (!db || !grants.has(db.id)) throw notFound('data source', id);
      return { db, ds: db.dataSources.find((s) => s.id === id)! };
    };
    if (req.method === 'GET' && (m = /^\/v1\/data_sources\/([\w-]+)$/.exec(path))) {
      const { db, ds } = source(m[1]!);
      return {
        object: 'data_source',
        id: ds.id,
        name: ds.name,
        parent: { type: 'database_id', database_id: db.id },
        properties: {},
      };
    }
    if (req.method === 'POST' && (m = /^\/v1\/data_sources\/([\w-]+)\/query$/.exec(path))) {
      const { ds } = source(m[1]!);
      const args = JSON.parse((await readBody(req)) || '{}') as {
        page_size?: number;
        start_cursor?: string;
        filter?: { timestamp?: 'last_edited_time' | 'created_time'; [k: string]: unknown };
      };
      const size = Math.min(Math.max(args.page_size ?? 100, 1), 100);
      let rows = [...this.pages.values()]
        .filter((p) => p.dataSourceId === ds.id && !p.inTrash)
        .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.id.localeCompare(b.id));
      const field = args.filter?.timestamp;
      if (field) {
        const since = (args.filter![field] as { on_or_after?: string } | undefined)?.on_or_after;
        if (since)
          rows = rows.filter(
            (p) => (field === 'created_time' ? p.createdTime : p.lastEditedTime) >= new Date(since).toISOString(),
          );
      }
      const start = args.start_cursor ? rows.findIndex((p) => p.id === args.start_cursor) : 0;
      const page = rows.slice(Math.max(start, 0), Math.max(start, 0) + size);
      const next = rows[Math.max(start, 0) + size];
      return {
        object: 'list',
        results: page.map((p) => this.pageObject(p)),
        next_cursor: next?.id ?? null,
        has_more: !!next,
        type: 'page_or_data_source',
        page_or_data_source: {},
      };
    }
    throw new NotionError(400, 'invalid_request_url', 'Invalid request URL.');
  }

  private pageObject(page: FakePage) {
    return {
      object: 'page',
      id: page.id,
      created_time: page.createdTime,
      last_edited_time: page.lastEditedTime,
      in_trash: page.inTrash,
      is_locked: false,
      url: `https://www.notion.so/${page.id.replace(/-/g, '')}`,
      public_url: null,
      parent: { type: 'data_source_id', data_source_id: page.dataSourceId, database_id: page.databaseId },
      properties: {
        Name: {
          id: 'title',
          type: 'title',
          title: [{ type: 'text', text: { content: page.title, link: null }, plain_text: page.title, href: null }],
        },
        ...page.properties,
      },
      icon: null,
      cover: null,
      created_by: { object: 'user', id: 'fake-user' },
      last_edited_by: { object: 'user', id: 'fake-user' },
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
