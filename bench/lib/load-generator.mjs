#!/usr/bin/env node
/**
 * A closed-loop HTTP load generator (autocannon) in a process of its own, so
 * that the bench runner's own work (the fake Notion, polling Postgres) never
 * slows it. Sends Notion-shaped `page.properties_updated` events, each with a
 * new event id and its own correct signature, to one URL.
 *
 *   node bench/lib/load-generator.mjs < config.json
 *     url, connections, durationSec, warmupSec, verificationToken,
 *     pages: [{pageId, databaseId, dataSourceId}] (cycled through)
 *
 * Prints one JSON line: the event ids answered 2xx and, for the warm-up and
 * the measured run, the status
 * counts, 2xx per second, latencies of 2xx answers (each response timed, in
 * ms, not autocannon's whole-ms histogram) and this process's CPU time, so the
 * caller can tell whether the generator itself was the bottleneck.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { assertSignatureMatchesSdk, pageEventBody, signSync, webhookOrigin } from './api.mjs';
import { latencySummary, round } from './report.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cfg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const origin = webhookOrigin();
let sent = 0;

/** Event ids answered 2xx, for the caller to look up in the inbox. */
const accepted = [];

/** The next request: a new event about the next page, signed as Notion signs it. */
function nextEvent() {
  const page = cfg.pages[sent++ % cfg.pages.length];
  const eventId = randomUUID();
  const body = pageEventBody(origin, { eventId, ...page });
  return { eventId, body, signature: signSync(body, cfg.verificationToken) };
}

async function run(durationSec) {
  const latencies = [];
  const sentBefore = sent;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const instance = autocannon({
    url: cfg.url,
    connections: cfg.connections,
    duration: durationSec,
    method: 'POST',
    requests: [
      {
        // One request in flight per connection: its context knows which event is answered.
        setupRequest: (request, context) => {
          const { eventId, body, signature } = nextEvent();
          context.eventId = eventId;
          return {
            ...request,
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'x-notion-signature': signature },
          };
        },
        onResponse: (status, _body, context) => {
          if (status >= 200 && status < 300) accepted.push(context.eventId);
        },
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const elapsedSec = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const ok = result['2xx'];
  return {
    durationSec: result.duration,
    sent: sent - sentBefore,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    okPerSecond: round(ok / result.duration, 0),
    latencyMs: latencySummary(latencies),
    generatorCpuCores: round((cpu.user + cpu.system) / 1e6 / elapsedSec, 2),
  };
}

const first = nextEvent();
sent = 0;
await assertSignatureMatchesSdk(first.body, cfg.verificationToken);
const warmup = cfg.warmupSec ? await run(cfg.warmupSec) : null;
const measured = await run(cfg.durationSec);
process.stdout.write(`${JSON.stringify({ warmup, measured, accepted })}\n`);
