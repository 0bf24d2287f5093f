#!/usr/bin/env node
/**
 * `npm run fake-notion`: the fake Notion server (libs/testing/src/fake-notion)
 * on its own, seeded with a demo workspace, for running the stack locally
 * without a Notion account. Point the apps at it with
 * `NOTION_API_BASE_URL=http://127.0.0.1:4010`.
 *
 * Environment:
 *   FAKE_NOTION_PORT        port (default 4010)
 *   FAKE_NOTION_HOST        host (default 127.0.0.1)
 *   FAKE_NOTION_TOKEN       the integration token the demo database is shared with
 *                           (default secret_demo_notion_token)
 *   FAKE_NOTION_RATE_LIMIT  `<perSecond>[:<burst>]`, e.g. `3:10`, to answer 429 like
 *                           Notion when a token goes faster (default: no limit)
 *
 * Seeded: database "Demo tasks" (fixed id, printed at start) with data sources
 * "Tasks" (16 pages) and "Archive" (4 pages); properties Status, Priority, Done,
 * Due, Notes, Related; three pages with a body, one with an image.
 *
 * Notion API: `GET /v1/pages/:id`, `GET /v1/pages/:id/properties/:propertyId`,
 * `GET /v1/pages/:id/markdown`, `GET /v1/blocks/:id/children`,
 * `GET /v1/databases/:id`, `GET /v1/data_sources/:id`, `GET /v1/users/me`,
 * `POST /v1/data_sources/:id/query`, with `Authorization: Bearer <token>` and a
 * `Notion-Version` header (use 2026-03-11). Notion-hosted files are served by
 * their signed URLs under /_files/ until they expire (one hour by default).
 *
 * Control API (plain JSON, no auth, outside /v1):
 *   GET    /_fake/state                        databases, pages, grants, webhook target
 *   POST   /_fake/webhooks {url, verificationToken?}
 *          send webhooks to `url` from now on. Without `verificationToken` the
 *          fake performs Notion's handshake (POSTs {"verification_token": ...} to
 *          `url`) and signs later events with that token; the answer shows it.
 *   DELETE /_fake/webhooks                     stop sending webhooks
 *   POST   /_fake/pages {dataSourceId?, title, properties?, body?}   new page -> page.created
 *   POST   /_fake/pages/:id/edit {title?, properties?}        -> page.properties_updated
 *   POST   /_fake/pages/:id/body {blocks}                     -> page.content_updated
 *   POST   /_fake/pages/:id/trash                             -> page.deleted
 *   POST   /_fake/pages/:id/restore                           -> page.undeleted
 *   POST   /_fake/files {name, contentType?, base64 | text}   host a file: {id, name}
 *   POST   /_fake/settings {markdownLimit?, fileUrlExpirySeconds?}
 * `properties` maps names to Notion-shaped values ({"type": "select", "select":
 * {"name": "Done"}}) or shorthands (string: rich text, number, boolean: checkbox).
 * `body` and `blocks` are arrays of blocks: a string is a paragraph, else
 * {"type": "heading_2", "text": "..."}, {"type": "image", "file": <hosted file>}...
 * (see libs/testing/src/fake-notion/control-api.ts).
 * Example:
 *   curl -X POST localhost:4010/_fake/pages/<id>/edit -d '{"title": "Renamed", "properties": {"Priority": 1}}'
 *
 * How it runs: the testing library is not part of the Nest build (every app's
 * tsconfig excludes libs/testing), and Node's type stripping cannot load it
 * (its imports name `.js` files, as the compiler wants, not the `.ts` files on
 * disk), so this script transpiles the fake's own files (they import only
 * Node built-ins and @notionhq/client) with the TypeScript compiler already in
 * devDependencies into node_modules/.cache, then imports them. `npm run demo`
 * does the same. Exits 0 on SIGINT/SIGTERM.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileFakeNotion } from './transpile-fake-notion.mjs';

const OUT = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules/.cache/notion-sync-fake-notion');

function parseRateLimit(raw) {
  if (!raw) return null;
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(raw);
  if (!match) throw new Error(`FAKE_NOTION_RATE_LIMIT must look like 3 or 3:10, not ${raw}`);
  const perSecond = Number(match[1]);
  return { perSecond, burst: match[2] ? Number(match[2]) : Math.max(1, Math.ceil(perSecond)) };
}

async function main() {
  const load = transpileFakeNotion(OUT);
  const { FakeNotion } = await load('fake-notion.js');
  const { DEMO_TOKEN, seedDemoWorkspace } = await load('demo-workspace.js');

  const port = Number(process.env.FAKE_NOTION_PORT || 4010);
  const host = process.env.FAKE_NOTION_HOST || '127.0.0.1';
  const token = process.env.FAKE_NOTION_TOKEN || DEMO_TOKEN;
  const rateLimit = parseRateLimit(process.env.FAKE_NOTION_RATE_LIMIT);

  const fake = new FakeNotion({ controlApi: true, rateLimit, workspace: { name: 'Demo workspace' } });
  const demo = seedDemoWorkspace(fake, token);
  const url = await fake.start(port, host);

  const [tasks, archive] = demo.dataSourceIds;
  console.log(
    [
      `Fake Notion listening on ${url}`,
      `  token         ${token}`,
      `  database id   ${demo.databaseId}  (Demo tasks, ${demo.pageIds.length} pages)`,
      `  data sources  Tasks ${tasks}, Archive ${archive}`,
      `  rate limit    ${rateLimit ? `${rateLimit.perSecond}/s, burst ${rateLimit.burst}` : 'off'}`,
      `  control API   ${url}/_fake/state (see scripts/fake-notion.mjs)`,
    ].join('\n'),
  );

  const shutdown = async (signal) => {
    console.log(`${signal}: stopping the fake Notion server`);
    await fake.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(`fake-notion: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
