/**
 * Benchmark 6, queries: a 100,000-page project with a realistic schema
 * (title, select, multi-select, date, number, relation, people), mirrored by
 * a real full sync from the fake Notion. Then, while edits keep arriving
 * through signed webhooks (the whole pipeline writes), three queries through
 * `POST /pages/query`, each with varied parameters and no result cache, on
 * their first page and on a deep cursor page (5,000 rows in):
 *
 * - select-equals sorted by a date (descending),
 * - multi-select contains (default order),
 * - a date range (default order).
 *
 * Latency is measured at the client, one request at a time. Beside each, the
 * same statements (built by the mirror's own `page-query.sql.js`) run straight
 * through `pg`: the difference is the API's share (auth, project check,
 * schema read, JSON). Every answer is checked against the direct SQL.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, devToken, pageEventBody, signSync, webhookOrigin } from './lib/api.mjs';
import { percentile, printTable, round, target } from './lib/report.mjs';
import { BenchStack, builtPath, REPO_ROOT, waitFor } from './lib/stack.mjs';
import { transpileFakeNotion } from '../scripts/transpile-fake-notion.mjs';

export const QUERY = {
  pages: 100_000,
  samples: 120,
  deepRows: 5000,
  pageSize: 20,
  editsPerSecond: 20,
  targetP95Ms: 50,
};

const STATUSES = ['Idea', 'Draft', 'Review', 'Scheduled', 'Published'];
const TAGS = [
  'news',
  'product',
  'engineering',
  'design',
  'hiring',
  'events',
  'guides',
  'security',
  'data',
  'mobile',
  'web',
  'ai',
];
const DAY_MS = 86_400_000;
const DATE_ORIGIN = Date.UTC(2024, 0, 1);
const DATE_SPAN_DAYS = 1095;
const USERS = Array.from({ length: 50 }, () => randomUUID());

/** A deterministic pseudo-random stream (the same data every run). */
function stream(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const day = (n) => new Date(DATE_ORIGIN + n * DAY_MS).toISOString().slice(0, 10);

/** The properties of page i, with the fake's builders. */
function pageProperties(prop, i, pageIds) {
  const r = stream(i + 1);
  const tags = TAGS.filter(() => r() < 0.15);
  const related = pageIds.length ? [pageIds[Math.floor(r() * pageIds.length)]] : [];
  return {
    Status: prop.select(STATUSES[Math.floor(r() * STATUSES.length)]),
    Tags: prop.multiSelect(tags),
    'Publish date': prop.date(r() < 0.05 ? null : day(Math.floor(r() * DATE_SPAN_DAYS))),
    Words: prop.number(Math.floor(r() * 5000)),
    Authors: prop.people([USERS[Math.floor(r() * USERS.length)]]),
    Related: prop.relation(related),
  };
}

/** The three queries, each a function of a parameter index. */
const KINDS = {
  'select = X, by date desc': (k) => ({
    filter: { property: 'Status', select: { equals: STATUSES[k % STATUSES.length] } },
    sorts: [{ property: 'Publish date', direction: 'descending' }],
  }),
  'multi-select contains X': (k) => ({
    filter: { property: 'Tags', multi_select: { contains: TAGS[k % TAGS.length] } },
  }),
  'date range (90 days)': (k) => {
    const from = (k * 97) % (DATE_SPAN_DAYS - 90);
    return {
      filter: {
        and: [
          { property: 'Publish date', date: { on_or_after: day(from) } },
          { property: 'Publish date', date: { before: day(from + 90) } },
        ],
      },
    };
  },
};
/** Parameter values per kind (the deep cursors are computed for each). */
const VARIANTS = 5;

export async function queryBenchmark() {
  const cfg = QUERY;
  const stack = await BenchStack.create('query');
  const load = transpileFakeNotion(join(REPO_ROOT, 'node_modules/.cache/notion-sync-bench-fake-notion'));
  const { FakeNotion } = await load('fake-notion.js');
  const { prop } = await load('property-values.js');
  const { planQuery, queryParts, queryStatement } = await import(
    builtPath('dist/apps/api-gateway/libs/mirror/src/query/page-query.sql.js')
  );
  const { SchemaReader } = await import(builtPath('dist/apps/api-gateway/libs/mirror/src/read/schema.reader.js'));
  const notion = new FakeNotion();
  await notion.start();
  const log = (msg) => console.log(`query: ${msg}`);
  let editing = false;
  try {
    const appEnv = {
      NOTION_API_BASE_URL: notion.url,
      NOTION_RATE_LIMIT_PER_SECOND: '100',
      NOTION_RATE_LIMIT_BURST: '100',
    };
    const gateway = await stack.start('api-gateway', appEnv);
    const eventWorker = await stack.start('event-worker', appEnv);
    const jobWorker = await stack.start('job-worker', appEnv);
    await Promise.all([gateway.ready(), eventWorker.ready(), jobWorker.ready()]);
    const api = new Api(gateway.port, await devToken('bench-query'));

    const token = `secret_${randomUUID().replace(/-/g, '')}`;
    const {
      databaseId,
      dataSourceIds: [dataSourceId],
    } = notion.addDatabase('Posts', ['Posts']);
    notion.share(token, databaseId);
    log(`building ${cfg.pages} pages in the fake Notion`);
    const first = notion.addPages(dataSourceId, 1000, {
      title: (i) => `Post ${i}`,
      properties: (i) => pageProperties(prop, i, []),
    });
    const firstIds = first.map((p) => p.id);
    notion.addPages(dataSourceId, cfg.pages - 1000, {
      start: new Date(Date.UTC(2025, 6, 1)),
      title: (i) => `Post ${i + 1000}`,
      properties: (i) => pageProperties(prop, i + 1000, firstIds),
    });
    const syncStarted = performance.now();
    const project = await api.createProject('Posts', databaseId, token);
    await waitFor(
      async () => {
        const { rows } = await stack.query(
          `SELECT status, page_count, last_error FROM project_sync WHERE project_id = $1`,
          [project.id],
        );
        if (rows[0].status === 'error') throw new Error(`full sync failed: ${rows[0].last_error}`);
        return rows[0].status === 'idle' && rows[0].page_count === cfg.pages;
      },
      { timeoutMs: 1_800_000, intervalMs: 500, what: 'the full sync' },
    );
    const syncSec = round((performance.now() - syncStarted) / 1000, 1);
    const { rows: sizes } = await stack.query(
      `SELECT (SELECT count(*) FROM page_values WHERE project_id = $1)::int AS cells,
              pg_size_pretty(pg_total_relation_size('page_values')) AS cells_size,
              pg_size_pretty(pg_total_relation_size('notion_pages')) AS pages_size`,
      [project.id],
    );
    log(`synced in ${syncSec} s: ${sizes[0].cells} value rows (${sizes[0].cells_size}; pages ${sizes[0].pages_size})`);
    await stack.query('ANALYZE');

    // Edits keep arriving: a page edited in the fake and its signed webhook, editsPerSecond.
    const origin = webhookOrigin();
    const all = notion.listPages(dataSourceId);
    let edits = 0;
    editing = true;
    const editor = (async () => {
      const r = stream(7);
      while (editing) {
        const page = all[Math.floor(r() * all.length)];
        notion.editPage(page.id, {
          properties: {
            Status: prop.select(STATUSES[Math.floor(r() * STATUSES.length)]),
            Words: prop.number(Math.floor(r() * 5000)),
          },
        });
        const body = pageEventBody(origin, { eventId: randomUUID(), pageId: page.id, databaseId, dataSourceId });
        await globalThis
          .fetch(project.webhookUrl, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-notion-signature': signSync(body, project.verificationToken),
            },
            body,
          })
          .then((res) => res.arrayBuffer())
          .catch(() => undefined);
        edits++;
        await sleep(1000 / cfg.editsPerSecond);
      }
    })();

    const schemas = new SchemaReader({ query: (sql, params) => stack.query(sql, params).then((r) => r.rows) });
    const direct = async (body, position) => {
      const schema = await schemas.schema(project.id);
      const shape = { ...body, includeDeleted: false };
      const limit = cfg.pageSize + 1;
      const now = new Date();
      let rows = [];
      const started = performance.now();
      for (const { part, after: at } of queryParts(planQuery(schema, shape), position)) {
        const statement = queryStatement(project.id, schema, shape, now, at, limit - rows.length, part);
        rows = [...rows, ...(await stack.query(statement.sql, statement.params)).rows];
        if (rows.length >= limit) break;
      }
      return { ms: performance.now() - started, ids: rows.slice(0, cfg.pageSize).map((r) => r.page_id) };
    };
    const viaApi = async (body, cursor) => {
      const started = performance.now();
      const res = await api.call('POST', `/projects/${project.id}/pages/query`, {
        ...body,
        page_size: cfg.pageSize,
        ...(cursor && { start_cursor: cursor }),
      });
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`query answered ${res.status}: ${JSON.stringify(res.body)}`);
      return { ms, ids: res.body.items.map((p) => p.id), next: res.body.nextCursor };
    };

    // A deep cursor (deepRows in) per kind and variant, by paging through the API 100 at a time.
    log(`finding deep cursors (${cfg.deepRows} rows in) for ${VARIANTS} variants of each query`);
    const deep = {};
    for (const [kind, build] of Object.entries(KINDS)) {
      deep[kind] = [];
      for (let k = 0; k < VARIANTS; k++) {
        let cursor;
        for (let n = 0; n < cfg.deepRows / 100; n++) {
          const res = await api.call('POST', `/projects/${project.id}/pages/query`, {
            ...build(k),
            page_size: 100,
            ...(cursor && { start_cursor: cursor }),
          });
          if (res.status !== 200) throw new Error(`query answered ${res.status}: ${JSON.stringify(res.body)}`);
          cursor = res.body.nextCursor;
          if (!cursor) break;
        }
        deep[kind].push(cursor ?? null);
      }
    }

    log(`measuring ${cfg.samples} samples per query and page, ${cfg.editsPerSecond} edits/s arriving`);
    const results = [];
    let mismatches = 0;
    for (const [kind, build] of Object.entries(KINDS)) {
      for (const where of ['first page', 'deep page']) {
        const api = [];
        const sql = [];
        let returned = 0;
        for (let s = 0; s < cfg.samples; s++) {
          // First pages vary over every parameter value; deep pages over the variants with a cursor.
          const k = s % VARIANTS;
          const body = where === 'deep page' ? build(k) : build(s);
          const cursor = where === 'deep page' ? deep[kind][k] : undefined;
          if (where === 'deep page' && !cursor) continue;
          const answer = await viaApi(body, cursor);
          api.push(answer.ms);
          returned += answer.ids.length;
          // The same statements straight through pg, from the same position.
          const position = cursor ? JSON.parse(Buffer.from(cursor.split('.')[0], 'base64url').toString()) : undefined;
          const same = await direct(body, position && { values: position[0], id: position[1] });
          sql.push(same.ms);
          // Edits between the two reads may move a row: count, do not fail, unless most differ.
          if (same.ids.join() !== answer.ids.join()) mismatches++;
        }
        results.push({
          kind,
          where,
          samples: api.length,
          avgRows: round(returned / Math.max(1, api.length), 1),
          api: {
            p50: round(percentile(api, 50), 1),
            p95: round(percentile(api, 95), 1),
            p99: round(percentile(api, 99), 1),
          },
          sql: {
            p50: round(percentile(sql, 50), 1),
            p95: round(percentile(sql, 95), 1),
            p99: round(percentile(sql, 99), 1),
          },
        });
      }
    }
    editing = false;
    await editor;
    const { rows: processed } = await stack.query(
      `SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed, count(*)::int AS total FROM webhook_deliveries`,
    );

    printTable(
      `Queries on ${cfg.pages} pages, page_size ${cfg.pageSize}, ${edits} edits arriving meanwhile`,
      ['query', 'page', 'samples', 'rows', 'API p50', 'API p95', 'API p99', 'SQL p50', 'SQL p95', 'SQL p99'],
      results.map((r) => [
        r.kind,
        r.where,
        r.samples,
        r.avgRows,
        r.api.p50,
        r.api.p95,
        r.api.p99,
        r.sql.p50,
        r.sql.p95,
        r.sql.p99,
      ]),
    );
    const total = results.reduce((n, r) => n + r.samples, 0);
    const consistent = mismatches <= total * 0.1;
    return {
      config: cfg,
      sync: {
        seconds: syncSec,
        valueRows: sizes[0].cells,
        valueTableSize: sizes[0].cells_size,
        pagesTableSize: sizes[0].pages_size,
      },
      writes: { edits, deliveries: processed[0] },
      results,
      checks: { mismatches, total, consistent },
      targets: [
        ...results.map((r) =>
          target(
            `query p95: ${r.kind}, ${r.where}`,
            `< ${cfg.targetP95Ms} ms`,
            `${r.api.p95} ms (SQL ${r.sql.p95} ms)`,
            r.api.p95 < cfg.targetP95Ms,
          ),
        ),
        target(
          'query answers equal the direct SQL',
          '>= 90% of samples (edits move rows)',
          `${total - mismatches} of ${total}`,
          consistent,
          { check: true },
        ),
      ],
    };
  } finally {
    editing = false;
    await notion.stop();
    await stack.destroy();
  }
}
