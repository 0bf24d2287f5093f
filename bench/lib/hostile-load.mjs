#!/usr/bin/env node
/**
 * The hostile benchmark's clients, each in a process of its own (so the
 * attacker's work never delays the probe's timing): an open-loop probe of the
 * API (GET one project, at a fixed rate, each answer timed), or hostile
 * webhook requests at a fixed rate.
 *
 *   node bench/lib/hostile-load.mjs < config.json
 *     durationSec, and either
 *     probe: { apiUrl, bearer, perSecond }, or
 *     hostile: { perSecond, hook, unknownHook, bodyLimitBytes }
 *
 * Hostile requests come from rotating loopback addresses (127.0.0.2 to
 * 127.0.0.250), so the intake's per-IP failure limit never helps: every one
 * takes the full path of an unsigned request (key lookup, signature check).
 * Bodies are built once. Prints one JSON line: the probe's latencies (ms) and
 * status counts, or the hostile requests' status counts.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { latencySummary } from './report.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cfg = JSON.parse(Buffer.concat(chunks).toString('utf8'));

/** One request; resolves with its status and time in ms (never rejects). */
function send(url, { method = 'GET', headers = {}, body, agent, localAddress }) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const req = request(url, { method, headers, agent, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - startedAt }));
    });
    req.on('error', () => resolve({ status: 'error', ms: performance.now() - startedAt }));
    req.end(body);
  });
}

/** Calls `fire` `perSecond` times a second for `durationSec`, on schedule whatever the answers take. */
async function openLoop(perSecond, durationSec, fire) {
  const pending = [];
  const startedAt = performance.now();
  const total = Math.round(perSecond * durationSec);
  for (let i = 0; i < total; i++) {
    const due = startedAt + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(fire(i));
  }
  return Promise.all(pending);
}

const count = (answers) => {
  const counts = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
};

function hostileBodies(limit) {
  // Just under the limit: the most a stranger can make the gateway read.
  const depth = Math.floor((limit - 200) / 2);
  const deep = Buffer.from(
    `{"id":"e1","type":"page.created","timestamp":"2026-01-02T03:04:05Z","data":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  );
  const huge = Buffer.from(
    `{"id":"e1","type":"page.created","timestamp":"2026-01-02T03:04:05Z","data":"${'x'.repeat(limit - 200)}"}`,
  );
  const tooLarge = Buffer.alloc(limit * 2, 0x20);
  return { deep, huge, tooLarge };
}

if (cfg.probe) {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const probed = await openLoop(cfg.probe.perSecond, cfg.durationSec, () =>
    send(cfg.probe.apiUrl, { headers: { authorization: `Bearer ${cfg.probe.bearer}` }, agent }),
  );
  agent.destroy();
  process.stdout.write(
    `${JSON.stringify({ latencyMs: latencySummary(probed.map((a) => a.ms)), statuses: count(probed) })}\n`,
  );
} else {
  const { deep, huge, tooLarge } = hostileBodies(cfg.hostile.bodyLimitBytes);
  const json = (body, extra = {}) => ({
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'content-length': body.length, ...extra },
  });
  const kinds = [
    [cfg.hostile.hook, json(deep)],
    [cfg.hostile.hook, json(huge)],
    [cfg.hostile.hook, json(deep, { 'x-notion-signature': `sha256=${'0'.repeat(64)}` })],
    [cfg.hostile.unknownHook, json(deep)],
    [cfg.hostile.hook, json(tooLarge)],
  ];
  const attacked = await openLoop(cfg.hostile.perSecond, cfg.durationSec, (i) => {
    const [url, init] = kinds[i % kinds.length];
    // A new connection from a new address each time: no limit per client applies.
    return send(url, { ...init, localAddress: `127.0.0.${2 + (i % 249)}` });
  });
  process.stdout.write(`${JSON.stringify({ sent: attacked.length, statuses: count(attacked) })}\n`);
}
