import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

/**
 * The Notion every spec's apps talk to unless the spec starts a FakeNotion of
 * its own: it knows the fixture projects' token (FIXTURE_NOTION_TOKEN in
 * libs/testing) and no object, so their sync-page jobs find the page gone (404,
 * nothing to tombstone) and mark their deliveries processed. Any other token
 * is refused with 401. Plain ESM: global setup loads it without the transform.
 */
export const FIXTURE_NOTION_TOKEN = 'secret_fixture_notion_token';

const error = (res, status, code, message) =>
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ object: 'error', status, code, message, request_id: randomUUID() }));

/** Starts the server on a free loopback port; resolves to it (call `.close()` to stop). */
export async function startFixtureNotion() {
  const server = createServer((req, res) => {
    req.resume();
    if (req.headers.authorization !== `Bearer ${FIXTURE_NOTION_TOKEN}`) {
      return error(res, 401, 'unauthorized', 'API token is invalid.');
    }
    return error(
      res,
      404,
      'object_not_found',
      'Could not find the object. Make sure it is shared with your integration.',
    );
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return server;
}
