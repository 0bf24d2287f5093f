#!/usr/bin/env node
/**
 * The ingest benchmark's anchor: the least a durable webhook endpoint can do
 * on this machine. Plain Fastify (no Nest, no logging), a `pg` pool of 20 (the
 * gateway's default), and per request one `INSERT ... ON CONFLICT DO NOTHING`
 * of the body, committed before the answer.
 *
 *   node bench/lib/anchor-server.mjs <databaseUrl>
 *
 * Listens on a free loopback port and prints `{"port": N}` once ready.
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.argv[2], max: 20 });
await pool.query(`CREATE TABLE IF NOT EXISTS bench_anchor_inbox (
  event_id text PRIMARY KEY,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
)`);

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
// Keep the raw text (what would be stored, and what a signature covers) and parse it once.
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, raw, done) => {
  try {
    done(null, { raw, event: JSON.parse(raw) });
  } catch (err) {
    err.statusCode = 400;
    done(err);
  }
});
app.post('/inbox', async (request) => {
  const { raw, event } = request.body;
  await pool.query(
    'INSERT INTO bench_anchor_inbox (event_id, payload) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING',
    [String(event.id), raw],
  );
  return { status: 'accepted' };
});

await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
