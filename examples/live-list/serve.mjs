#!/usr/bin/env node
/**
 * Serves the live list (index.html of this folder, nothing else) on
 * 127.0.0.1, without dependencies:
 *
 *   node examples/live-list/serve.mjs [port]     (or LIVE_LIST_PORT; default 3005, 0: any free port)
 *
 * then open the printed URL with the page's settings in its fragment (see
 * index.html). The gateway must let the page's origin in through CORS: in
 * development (NODE_ENV=development, as `npm run demo` runs it) it allows any
 * loopback origin; otherwise list this one in CORS_ORIGINS.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';

const PAGE = new URL('index.html', import.meta.url);
export const DEFAULT_LIVE_LIST_PORT = 3005;

/**
 * Starts the server; `port` 0 picks a free one. Resolves with the page's URL
 * (`http://127.0.0.1:<port>/`, no fragment) and a `close` that stops it.
 */
export async function serveLiveList({ port = DEFAULT_LIVE_LIST_PORT, host = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (pathname !== '/' && pathname !== '/index.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    } else {
      // Read on every request: an edit to the page shows on reload.
      readFile(PAGE).then(
        (html) => {
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          });
          res.end(req.method === 'HEAD' ? undefined : html);
        },
        () => res.writeHead(500).end(),
      );
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.main) {
  const port = Number(process.argv[2] ?? process.env.LIVE_LIST_PORT ?? DEFAULT_LIVE_LIST_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: not a port: ${process.argv[2] ?? process.env.LIVE_LIST_PORT}`);
    process.exit(2);
  }
  const { url } = await serveLiveList({ port });
  console.log(`Live list on ${url}#api=http://127.0.0.1:3000/api/v1&project=<id>&token=<JWT>`);
}
