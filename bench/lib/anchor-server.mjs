#!/usr/bin/env node
/**
 * The ingest benchmark's anchor: what an honest webhook intake must do, and
 * nothing more, on this machine. Plain Fastify (no Nest, no logging), a `pg`
 * pool of 20 (the gateway's default), and per request: the project's
 * verification token by one indexed lookup (its primary key), the
 * `X-Notion-Signature` HMAC checked on the raw body (401 when wrong), the body
 * parsed, and one `INSERT ... ON CONFLICT DO NOTHING` of it, committed before
 * the answer.
 *
 *   node bench/lib/anchor-server.mjs < config.json
 *     databaseUrl, project: {id, verificationToken}
 *
 * Events go to `POST /webhooks/<projectId>`. Listens on a free loopback port
 * and prints `{"port": N}` once ready.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { databaseUrl, project } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
await pool.query(`CREATE TABLE IF NOT EXISTS bench_anchor_projects (
  id uuid PRIMARY KEY,
  verification_token text NOT NULL
)`);
await pool.query(`CREATE TABLE IF NOT EXISTS bench_anchor_inbox (
  project_id uuid NOT NULL REFERENCES bench_anchor_projects (id),
  event_id text NOT NULL,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, event_id)
)`);
await pool.query(
  `INSERT INTO bench_anchor_projects (id, verification_token) VALUES ($1, $2)
   ON CONFLICT (id) DO UPDATE SET verification_token = EXCLUDED.verification_token`,
  [project.id, project.verificationToken],
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIGNATURE = /^sha256=[0-9a-fA-F]{64}$/;

/** Notion's `sha256=<hex>` HMAC-SHA256 of the raw body, checked in constant time (as libs/notion does). */
function signedBy(raw, signature, token) {
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return false;
  const given = Buffer.from(signature.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', token).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// The gateway's webhook body limit (WEBHOOK_BODY_LIMIT_BYTES).
const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
// The raw bytes: what the signature covers; parsed only once signed.
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, raw, done) => done(null, raw));
app.post('/webhooks/:projectId', async (request, reply) => {
  const { projectId } = request.params;
  // A malformed id costs no query.
  if (!UUID.test(projectId)) return reply.code(404).send({ status: 'unknown' });
  const { rows } = await pool.query('SELECT verification_token FROM bench_anchor_projects WHERE id = $1', [projectId]);
  if (rows.length === 0) return reply.code(404).send({ status: 'unknown' });
  const raw = request.body;
  if (!signedBy(raw, request.headers['x-notion-signature'], rows[0].verification_token))
    return reply.code(401).send({ status: 'unsigned' });
  const text = raw.toString('utf8');
  let event;
  try {
    event = JSON.parse(text);
  } catch {
    return reply.code(400).send({ status: 'malformed' });
  }
  await pool.query(
    `INSERT INTO bench_anchor_inbox (project_id, event_id, payload) VALUES ($1, $2, $3)
     ON CONFLICT (project_id, event_id) DO NOTHING`,
    [projectId, String(event.id), text],
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
