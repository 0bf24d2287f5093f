/**
 * Benchmark 7, the live stream (issue 15): one project of STREAM.pages pages,
 * imported by a real full sync from the fake Notion, then STREAM.streams
 * concurrent `GET /projects/:id/changes/stream` (bearer, `?after=` the feed's
 * head) from client processes of their own (bench/lib/stream-clients.mjs),
 * against STREAM.editsPerSecond title edits of distinct pages for
 * STREAM.durationSec, each made in the fake Notion, which sends its signed
 * webhook to the gateway (the whole pipeline: intake, event-worker, job-worker
 * fetching the page, the mirror's write, its announcement, the gateway's one
 * read per wake-up, the fan-out).
 *
 * The streams start at the feed's head (read `/changes` to its end first), not
 * at 0: from 0 each of them would first replay every page with reads of its
 * own (1,000 x STREAM.pages rows before the measured phase) and the
 * benchmark is about live fan-out; replay is the specs' business.
 *
 * Latency: from the moment the edit is made in the fake Notion (its webhook is
 * signed and POSTed in the same turn) to the arrival, on each stream, of the
 * first event carrying the page's new title; over every stream x edit. Both
 * ends read CLOCK_MONOTONIC (the clients run in other processes). Also from
 * the webhook's receipt and from the row's write (its delivery's `received_at`
 * and `processed_at`, the database's clock brought onto the monotonic one): the
 * stream's own share apart from the pipeline's. BENCH_STREAM_COUNT=10 is the
 * control: the same edits without the fan-out's load.
 *
 * Checks (the run fails when one does not hold): every stream opens and goes
 * live; on every stream ids strictly increase (and equal the row's version);
 * after the edits and a quiet spell, each stream's final state (page id ->
 * version, title, deletedAt) equals `/changes` read from the streams' start to
 * its end; every edit arrived on every stream. Reported: the gateway's RSS
 * (VmRSS) before, with the streams open and live, at the end, after they
 * close; CPU per process during the edits; events received; reconnects.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, devToken } from './lib/api.mjs';
import { inheritedEnv, STREAM_COUNT } from './lib/env.mjs';
import { loadFakeNotion } from './lib/fake-notion.mjs';
import { cpuAccount } from './lib/procs.mjs';
import { percentile, printTable, round, target } from './lib/report.mjs';
import { BenchStack, freePort, REPO_ROOT, waitFor } from './lib/stack.mjs';

export const STREAM = {
  /** BENCH_STREAM_COUNT=10 runs the same edits with 10 streams: the pipeline without the fan-out's load. */
  streams: STREAM_COUNT ?? 1000,
  /** Client processes the streams are spread over (each parses its share). */
  clientProcesses: 2,
  /** Streams each client process opens at a time. */
  openConcurrency: 25,
  /** Pages of the project: more than the edits (editsPerSecond x durationSec), the rest never edited. */
  pages: 3200,
  editsPerSecond: 50,
  durationSec: 60,
  jobWorkerConcurrency: 20,
  /**
   * Bodies off: with them each edit also fetches the page's blocks, and one
   * project's token (100 requests/s at most) would pace the pipeline, not the stream.
   */
  syncContent: false,
  streamLimitPerUser: 2000,
  /** No event on any stream for this long, after every delivery was processed: the run is over. */
  quietMs: 3000,
  /** Beyond the refresh timer (STREAM_REFRESH_SECONDS, 5) when some stream still lacks an edit. */
  quietIncompleteMs: 8000,
  titlePrefix: 'Live edit ',
  targetP99Ms: 250,
  targetRssMiB: 300,
};

const CLIENT = fileURLToPath(new URL('./lib/stream-clients.mjs', import.meta.url));

/** Milliseconds on CLOCK_MONOTONIC, as the client processes read it. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** A client process and a `call(cmd, args)` answered once over IPC. */
function startClients() {
  const child = fork(CLIENT, [], {
    cwd: REPO_ROOT,
    env: inheritedEnv(),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map();
  child.on('message', ({ id, result }) => {
    waiting.get(id)?.resolve(result);
    waiting.delete(id);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', (code) => {
    for (const { reject } of waiting.values()) reject(new Error(`stream clients exited ${code}`));
    waiting.clear();
  });
  return {
    pid: child.pid,
    call(cmd, args = {}) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        child.send({ ...args, cmd, id });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `/changes` after `after`, paged to its end: the rows and the last version. */
async function readFeed(api, projectId, after) {
  const items = [];
  for (;;) {
    const res = await api.call('GET', `/projects/${projectId}/changes?after=${after}&limit=1000`);
    if (res.status !== 200) throw new Error(`/changes answered ${res.status}: ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    after = res.body.nextAfter;
    if (!res.body.hasMore) return { items, head: after };
  }
}

/** What the gateway's /metrics (admin port) says about its streams, its heap and its event loop. */
const METRICS_KEPT =
  /stream|webhook_to_event|heap_size_(used|total)_bytes|external_memory|eventloop_lag_(p99|max)_seconds/;

/** The gateway's /metrics lines kept (METRICS_KEPT), and a few values read from them. */
async function gatewayMetrics(adminPort) {
  let lines;
  try {
    const res = await globalThis.fetch(`http://127.0.0.1:${adminPort}/metrics`);
    lines = (await res.text())
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && METRICS_KEPT.test(l.split(/[{ ]/)[0]));
  } catch (err) {
    return { lines: [`unreadable: ${err}`] };
  }
  /** The value of the first line whose name ends with `suffix` (and whose labels contain `label`). */
  const value = (suffix, label = '') => {
    const line = lines.find((l) => l.split(/[{ ]/)[0].endsWith(suffix) && l.includes(label));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const MiB = (bytes) => round(bytes / 2 ** 20);
  return {
    heapUsedMiB: MiB(value('nodejs_heap_size_used_bytes')),
    heapTotalMiB: MiB(value('nodejs_heap_size_total_bytes')),
    externalMiB: MiB(value('nodejs_external_memory_bytes')),
    eventLoopLagMs: {
      p99: round(value('nodejs_eventloop_lag_p99_seconds') * 1000),
      max: round(value('nodejs_eventloop_lag_max_seconds') * 1000),
    },
    streamsOpen: value('streams_open'),
    eventsSent: value('stream_events_total'),
    // The gateway's own measure: per read that found rows, from the oldest announced delivery's receipt.
    webhookToEventLag: {
      reads: value('webhook_to_event_lag_seconds_count'),
      under250ms: value('webhook_to_event_lag_seconds_bucket', 'le="0.25"'),
      under1s: value('webhook_to_event_lag_seconds_bucket', 'le="1"'),
    },
    lines,
  };
}

/** p50/p95/p99/max of a Float64Array (sorted in place). */
function summary(samples) {
  samples.sort();
  const at = (p) => round(percentile(samples, p));
  let sum = 0;
  for (const x of samples) sum += x;
  return {
    count: samples.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: round(samples[samples.length - 1]),
    mean: round(sum / samples.length),
  };
}

export async function streamBenchmark() {
  const cfg = STREAM;
  const edits = cfg.editsPerSecond * cfg.durationSec;
  if (edits > cfg.pages) throw new Error('stream: more edits than pages (each edit is a distinct page)');
  const stack = await BenchStack.create('stream');
  const FakeNotion = await loadFakeNotion();
  const notion = new FakeNotion();
  await notion.start();
  const clients = [];
  const log = (msg) => console.log(`stream: ${msg}`);
  let rssTimer;
  try {
    const adminPort = await freePort();
    const appEnv = {
      NOTION_API_BASE_URL: notion.url,
      NOTION_RATE_LIMIT_PER_SECOND: '100',
      NOTION_RATE_LIMIT_BURST: '100',
      JOB_WORKER_CONCURRENCY: String(cfg.jobWorkerConcurrency),
    };
    const gateway = await stack.start('api-gateway', {
      ...appEnv,
      STREAM_LIMIT_PER_USER: String(cfg.streamLimitPerUser),
      ADMIN_PORT: String(adminPort),
    });
    await stack.start('event-worker', appEnv);
    await stack.start('job-worker', appEnv);
    await Promise.all(stack.apps.map((a) => a.ready()));
    const api = new Api(gateway.port, await devToken('bench-stream'));

    const token = `secret_${randomBytes(12).toString('hex')}`;
    const {
      databaseId,
      dataSourceIds: [dataSourceId],
    } = notion.addDatabase('Live', ['Pages']);
    notion.share(token, databaseId);
    const pages = notion.addPages(dataSourceId, cfg.pages).map((p) => p.id);
    const project = await api.createProject('Live', databaseId, token, { syncContent: cfg.syncContent });
    log(`importing ${cfg.pages} pages`);
    await waitFor(
      async () => {
        const { rows } = await stack.query(
          `SELECT status, page_count, last_synced_at, last_error FROM project_sync WHERE project_id = $1`,
          [project.id],
        );
        if (rows[0]?.status === 'error') throw new Error(`full sync failed: ${rows[0].last_error}`);
        return rows[0]?.status === 'idle' && rows[0].last_synced_at && rows[0].page_count === cfg.pages;
      },
      { timeoutMs: 600_000, intervalMs: 250, what: 'the full sync' },
    );
    const imported = await readFeed(api, project.id, '0');
    if (imported.items.length !== cfg.pages)
      throw new Error(`/changes from 0 has ${imported.items.length} rows, not ${cfg.pages}`);
    const start = imported.head;
    log(`imported; the feed's head is ${start}`);

    await sleep(3000);
    const rssBefore = gateway.memory();
    let rssMax = 0;
    rssTimer = setInterval(() => {
      try {
        rssMax = Math.max(rssMax, gateway.memory().rssMiB);
      } catch {
        // exited: the run fails elsewhere
      }
    }, 500);

    // The streams, spread over the client processes.
    const editPageIds = pages.slice(0, edits);
    const per = Math.ceil(cfg.streams / cfg.clientProcesses);
    for (let c = 0; c < cfg.clientProcesses; c++) clients.push(startClients());
    const path = `/api/v1/projects/${project.id}/changes/stream?after=${start}`;
    log(`opening ${cfg.streams} streams (${cfg.clientProcesses} client processes) at after=${start}`);
    const openStartedAt = now();
    const opens = await Promise.all(
      clients.map((client, c) =>
        client.call('open', {
          port: gateway.port,
          path,
          bearer: api.bearer,
          count: Math.min(per, cfg.streams - c * per),
          openConcurrency: cfg.openConcurrency,
          pageCount: cfg.pages,
          editPageIds,
          titlePrefix: cfg.titlePrefix,
        }),
      ),
    );
    const openFailed = opens.reduce((n, o) => n + o.failed, 0);
    if (openFailed) {
      throw new Error(
        `${openFailed} of ${cfg.streams} streams not opened: ${JSON.stringify(opens.flatMap((o) => o.failures))}\n` +
          gateway.lines.slice(-20).join('\n'),
      );
    }
    const headersMs = Float64Array.from(opens.flatMap((o) => o.headersMs));
    const status = async () => {
      const all = await Promise.all(clients.map((c) => c.call('status')));
      const sum = (k) => all.reduce((n, s) => n + s[k], 0);
      return {
        live: sum('live'),
        events: sum('events'),
        heartbeats: sum('heartbeats'),
        ends: sum('ends'),
        reconnects: sum('reconnects'),
        complete: sum('complete'),
        latestChunk: Math.max(...all.map((s) => s.latestChunk)),
      };
    };
    await waitFor(async () => (await status()).live === cfg.streams, {
      timeoutMs: 180_000,
      intervalMs: 250,
      what: `every stream's event: live`,
    });
    const allLiveMs = now() - openStartedAt;
    log(`all ${cfg.streams} streams live after ${round(allLiveMs)} ms`);
    await sleep(2000);
    const rssOpen = gateway.memory();
    const metricsOpen = await gatewayMetrics(adminPort);
    const beforeEdits = await status();

    // The edits: open loop, each a distinct page, each its own signed webhook.
    log(`editing ${edits} pages at ${cfg.editsPerSecond}/s`);
    const sentAt = new Float64Array(edits);
    const sends = [];
    const pids = {
      ...Object.fromEntries(stack.apps.map((a) => [a.name, a.pid])),
      ...Object.fromEntries(clients.map((c, i) => [`clients-${i + 1}`, c.pid])),
    };
    const cpu = cpuAccount(pids);
    const loadAtEdits = loadavg().map((x) => round(x, 2));
    const benchLoop = monitorEventLoopDelay({ resolution: 10 });
    benchLoop.enable();
    const target0 = { url: project.webhookUrl, verificationToken: project.verificationToken };
    const interval = 1000 / cfg.editsPerSecond;
    let maxSlipMs = 0;
    const editsStartedAt = now();
    for (let i = 0; i < edits;) {
      const due = editsStartedAt + i * interval;
      const t = now();
      if (t < due) {
        await sleep(due - t);
        continue;
      }
      maxSlipMs = Math.max(maxSlipMs, t - due);
      sentAt[i] = t;
      sends.push(
        notion.editAndNotify(editPageIds[i], { title: `${cfg.titlePrefix}${i}` }, target0).then(
          ({ deliveries: [d] }) => ({ status: d.status, eventId: d.eventId, answerMs: now() - t }),
          (err) => ({ status: 0, error: String(err.cause ?? err), answerMs: now() - t }),
        ),
      );
      i++;
    }
    const sent = await Promise.all(sends);
    const editSeconds = (now() - editsStartedAt) / 1000;
    const accepted = sent.filter((s) => s.status === 200);
    const answers = {};
    for (const x of sent) answers[x.status] = (answers[x.status] ?? 0) + 1;
    const sendErrors = [...new Set(sent.map((x) => x.error).filter(Boolean))].slice(0, 5);
    if (accepted.length < sent.length) log(`webhook answers ${JSON.stringify(answers)} ${JSON.stringify(sendErrors)}`);
    const eventIds = accepted.map((s) => s.eventId);
    log(`sent in ${round(editSeconds)} s; ${accepted.length} accepted; waiting for the deliveries and the streams`);
    await waitFor(
      async () => {
        const { rows } = await stack.query(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = ANY($1) AND status IN ('received', 'enqueued')`,
          [eventIds],
        );
        return rows[0].n === 0;
      },
      { timeoutMs: 300_000, intervalMs: 200, what: 'every delivery to be processed' },
    );
    // Quiet: no chunk on any stream for quietMs (longer while some stream lacks an edit:
    // the refresh timer may still bring it), then /changes, then nothing new meanwhile.
    let final;
    let expected;
    const quietDeadline = now() + 180_000;
    for (;;) {
      const s = await status();
      const idle = now() - s.latestChunk;
      const complete = s.complete === cfg.streams;
      if (idle >= (complete ? cfg.quietMs : cfg.quietIncompleteMs) || now() > quietDeadline) {
        const readAt = now();
        expected = await readFeed(api, project.id, start);
        final = await status();
        if (final.latestChunk < readAt || now() > quietDeadline) break;
      }
      await sleep(250);
    }
    const drainSeconds = (now() - editsStartedAt) / 1000 - editSeconds;
    log(
      `quiet ${round(drainSeconds, 1)} s after the last edit; ${final.complete} of ${cfg.streams} streams have every edit`,
    );
    const busy = cpu.stop();
    benchLoop.disable();
    const benchLoopDelayMs = { p99: round(benchLoop.percentile(99) / 1e6), max: round(benchLoop.max / 1e6) };
    const rssEnd = gateway.memory();
    const metricsEnd = await gatewayMetrics(adminPort);
    clearInterval(rssTimer);
    const loadAtEnd = loadavg().map((x) => round(x, 2));

    // Each stream's final state against /changes from its start; the arrivals.
    const rows = expected.items.map((r) => [r.id, r.version, r.title, r.deletedAt]);
    const results = await Promise.all(clients.map((c) => c.call('finish', { expected: rows })));
    await Promise.all(clients.map((c) => c.stop()));
    clients.length = 0;
    await sleep(3000);
    const rssClosed = gateway.memory();
    const metricsClosed = await gatewayMetrics(adminPort);

    // When the gateway received each edit's webhook (inbox insert) and when the job-worker
    // had written its row (the delivery marked processed, right after the mirror's commit):
    // the database's wall clock, brought onto the monotonic clock.
    const wallToMono = now() - Date.now();
    const edit = new Map(sent.map((x, i) => [x.eventId, i]));
    const receivedAt = new Float64Array(edits).fill(NaN);
    const writtenAt = new Float64Array(edits).fill(NaN);
    const { rows: deliveries } = await stack.query(
      `SELECT event_id, extract(epoch FROM received_at) * 1000 AS received, extract(epoch FROM processed_at) * 1000 AS processed
         FROM webhook_deliveries WHERE event_id = ANY($1) AND status = 'processed'`,
      [eventIds],
    );
    for (const d of deliveries) {
      const i = edit.get(d.event_id);
      receivedAt[i] = Number(d.received) + wallToMono;
      writtenAt[i] = Number(d.processed) + wallToMono;
    }
    const pipeline = summary(Float64Array.from(deliveries.map((d) => Number(d.processed) - Number(d.received))));

    // Webhook-to-event over every stream x edit, from three starts; per edit, its first and its last stream.
    const fromSend = new Float64Array(cfg.streams * edits);
    const fromReceived = new Float64Array(cfg.streams * edits);
    const fromWritten = new Float64Array(cfg.streams * edits);
    const firstStream = new Float64Array(edits).fill(Infinity);
    const lastStream = new Float64Array(edits);
    let n = 0;
    let timed = 0;
    let missing = 0;
    for (const r of results) {
      const a = r.arrivals;
      for (let slot = 0; slot < r.streams; slot++) {
        for (let i = 0; i < edits; i++) {
          const at = a[slot * edits + i];
          if (at === 0) {
            missing++;
            continue;
          }
          const ms = at - sentAt[i];
          fromSend[n++] = ms;
          if (ms < firstStream[i]) firstStream[i] = ms;
          if (ms > lastStream[i]) lastStream[i] = ms;
          if (Number.isNaN(writtenAt[i])) continue;
          fromReceived[timed] = at - receivedAt[i];
          fromWritten[timed++] = at - writtenAt[i];
        }
      }
    }
    const lat = summary(fromSend.subarray(0, n));
    const latReceived = summary(fromReceived.subarray(0, timed));
    const latWritten = summary(fromWritten.subarray(0, timed));
    const reached = firstStream.filter(Number.isFinite);
    const first = summary(Float64Array.from(reached));
    const last = summary(lastStream.filter((_, i) => Number.isFinite(firstStream[i])));
    const answer = summary(Float64Array.from(accepted.map((s) => s.answerMs)));

    const perStream = results.flatMap((r) => r.perStream);
    const sumOf = (k) => perStream.reduce((x, s) => x + s[k], 0);
    const nonIncreasing = sumOf('nonIncreasing');
    const idNotVersion = sumOf('idNotVersion');
    const wrongRows = sumOf('wrongRows');
    const stateMismatches = results.reduce((x, r) => x + r.stateMismatches, 0);
    const eventsTotal = sumOf('events');
    const reconnects = sumOf('reconnects');
    const ends = perStream.flatMap((s) => s.ends.map((e) => e.reason));
    const endReasons = {};
    for (const e of ends) endReasons[e] = (endReasons[e] ?? 0) + 1;
    const problems = [...new Set(perStream.map((s) => s.firstProblem).filter(Boolean))].slice(0, 5);
    const stateSamples = perStream.filter((s) => !s.equal).slice(0, 3);
    // The mirror has every accepted edit (what /changes says after the run).
    const expectedTitle = new Map(expected.items.map((r) => [r.id, r.title]));
    const mirrored = sent.filter(
      (s, i) => s.status === 200 && expectedTitle.get(editPageIds[i]) === `${cfg.titlePrefix}${i}`,
    ).length;
    const clientCores = Object.entries(busy.cores)
      .filter(([k]) => k.startsWith('clients-'))
      .reduce((x, [, v]) => x + v, 0);

    const row = (x) => [x.count, x.p50, x.p95, x.p99, x.max];
    printTable(
      `Live stream: ${cfg.streams} streams, ${edits} edits at ${cfg.editsPerSecond}/s (achieved ${round(edits / editSeconds, 1)}/s, max slip ${round(maxSlipMs)} ms)`,
      ['measure', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ['edit + webhook sent -> event, every stream x edit', lat.count, lat.p50, lat.p95, lat.p99, lat.max],
        ['  webhook received (inbox) -> event', ...row(latReceived)],
        ['  row written (delivery processed) -> event', ...row(latWritten)],
        ['  per edit: its first stream', ...row(first)],
        ['  per edit: its last stream', ...row(last)],
        ['webhook received -> row written (database clock)', ...row(pipeline)],
        ['webhook answer (sender side)', ...row(answer)],
        [
          'stream open -> headers',
          headersMs.length,
          ...['p50', 'p95', 'p99'].map((p) => round(percentile(headersMs, Number(p.slice(1))))),
          round(Math.max(...headersMs)),
        ],
      ],
    );
    const mib = (m) => `${round(m.rssMiB)} (peak ${round(m.peakRssMiB)})`;
    printTable(
      'Gateway memory (VmRSS MiB) and checks',
      ['measure', 'value'],
      [
        ['gateway RSS before the streams', mib(rssBefore)],
        [`gateway RSS with ${cfg.streams} streams live`, mib(rssOpen)],
        ['gateway RSS at the end (streams open)', `${mib(rssEnd)}; highest sampled ${round(rssMax)}`],
        ['gateway RSS 3 s after the streams closed', mib(rssClosed)],
        [
          'gateway heap used / total / external MiB: live, end, closed',
          [metricsOpen, metricsEnd, metricsClosed]
            .map((x) => `${x.heapUsedMiB} / ${x.heapTotalMiB} / ${x.externalMiB}`)
            .join(', '),
        ],
        [
          'gateway event-loop lag p99 / max (ms, its /metrics, at the end)',
          `${metricsEnd.eventLoopLagMs?.p99} / ${metricsEnd.eventLoopLagMs?.max}`,
        ],
        [
          "gateway's webhook_to_event_lag: reads under 250 ms / 1 s / all",
          `${metricsEnd.webhookToEventLag?.under250ms} / ${metricsEnd.webhookToEventLag?.under1s} / ${metricsEnd.webhookToEventLag?.reads}`,
        ],
        [
          "gateway's streams_open: live, end, after close; events sent",
          `${metricsOpen.streamsOpen}, ${metricsEnd.streamsOpen}, ${metricsClosed.streamsOpen}; ${metricsEnd.eventsSent}`,
        ],
        ['opening: all streams live after (ms)', round(allLiveMs)],
        ['events received (all streams)', `${eventsTotal} (${beforeEdits.events} before the edits)`],
        ['distinct rows received', results.map((r) => r.distinctRows).join(' / ')],
        ['webhooks accepted / sent (answers)', `${accepted.length} / ${sent.length} ${JSON.stringify(answers)}`],
        ['edits in /changes afterwards (mirrored)', `${mirrored} / ${edits}`],
        ['(stream, edit) pairs never received', missing],
        [
          'ids not strictly increasing / id != version / wrong rows',
          `${nonIncreasing} / ${idNotVersion} / ${wrongRows}`,
        ],
        ['streams whose final state differs from /changes', stateMismatches],
        ['streams ended by the server / reconnects', `${ends.length} ${JSON.stringify(endReasons)} / ${reconnects}`],
        ['heartbeats received', final.heartbeats],
        ['bench loop delay p99 / max (ms; fake Notion, editor)', `${benchLoopDelayMs.p99} / ${benchLoopDelayMs.max}`],
        [
          'client loop delay p99 / max (ms), per process',
          results.map((r) => `${round(r.loopDelayMs.p99)} / ${round(r.loopDelayMs.max)}`).join(', '),
        ],
        ['load average at the edits / at the end', `${loadAtEdits.join(' ')} / ${loadAtEnd.join(' ')}`],
      ],
    );
    printTable(
      'CPU during the edits and the drain (cores used on average; the machine has 2)',
      ['machine busy', ...Object.keys(busy.cores)],
      [[busy.machineBusy, ...Object.values(busy.cores)]],
    );
    if (problems.length) console.log(`first problems: ${JSON.stringify(problems)}`);
    if (stateSamples.length) console.log(`state mismatches, samples: ${JSON.stringify(stateSamples)}`);

    const allLive = true; // the wait above throws otherwise
    const ordered = nonIncreasing === 0 && idNotVersion === 0 && wrongRows === 0;
    return {
      config: { ...cfg, edits, NOTION_RATE_LIMIT_PER_SECOND: 100, STREAM_LIMIT_PER_USER: cfg.streamLimitPerUser },
      latencyMeasured:
        'from editAndNotify in the fake Notion (the edit, then its webhook signed and POSTed in the same turn) ' +
        "to the arrival of the first event with the page's new title, on each stream (CLOCK_MONOTONIC, both ends)",
      startPosition: start,
      opening: {
        allLiveMs: round(allLiveMs),
        headersMs: { p50: round(percentile(headersMs, 50)), p99: round(percentile(headersMs, 99)) },
      },
      latencyMs: {
        everyStreamAndEdit: lat,
        fromWebhookReceived: latReceived,
        fromRowWritten: latWritten,
        firstStreamPerEdit: first,
        lastStreamPerEdit: last,
      },
      pipelineMs: pipeline,
      webhookAnswerMs: answer,
      edits: {
        sent: sent.length,
        accepted: accepted.length,
        seconds: round(editSeconds, 1),
        maxSlipMs: round(maxSlipMs),
      },
      gatewayRssMiB: {
        before: rssBefore,
        streamsLive: rssOpen,
        end: rssEnd,
        highestSampled: round(rssMax),
        afterClose: rssClosed,
      },
      events: { total: eventsTotal, beforeEdits: beforeEdits.events, heartbeats: final.heartbeats },
      cpu: busy,
      load: { atEdits: loadAtEdits, atEnd: loadAtEnd },
      loopDelayMs: { bench: benchLoopDelayMs, clients: results.map((r) => r.loopDelayMs) },
      metrics: { streamsLive: metricsOpen, end: metricsEnd, afterClose: metricsClosed },
      checks: {
        webhookAnswers: answers,
        sendErrors,
        missing,
        nonIncreasing,
        idNotVersion,
        wrongRows,
        stateMismatches,
        stateSamples,
        mirrored,
        ends: endReasons,
        reconnects,
        problems,
        appLogs: Object.fromEntries(stack.apps.map((a) => [a.name, a.logSummary()])),
      },
      targets: [
        target(
          `webhook-to-event p99, ${cfg.streams} streams, ${cfg.editsPerSecond} edits/s`,
          `< ${cfg.targetP99Ms} ms`,
          `${lat.p99} ms (p50 ${lat.p50}, p95 ${lat.p95}, max ${lat.max})`,
          lat.p99 < cfg.targetP99Ms,
        ),
        target(
          `gateway RSS with ${cfg.streams} streams open`,
          `< ${cfg.targetRssMiB} MiB`,
          `${round(rssOpen.rssMiB)} MiB live, ${round(rssEnd.rssMiB)} at the end, ${round(rssMax)} highest sampled`,
          Math.max(rssOpen.rssMiB, rssEnd.rssMiB, rssMax) < cfg.targetRssMiB,
        ),
        target(
          'stream: gateway and clients CPU during the edits (cores)',
          'reported',
          `gateway ${busy.cores['api-gateway']}, clients ${round(clientCores, 2)}, machine busy ${busy.machineBusy}`,
          null,
        ),
        target('stream: every stream opened and went live', 'all', `${cfg.streams}`, allLive, { check: true }),
        target(
          'stream: ids strictly increase on every stream',
          'all',
          ordered ? 'all' : `${nonIncreasing} out of order, ${idNotVersion} id != version, ${wrongRows} wrong rows`,
          ordered,
          { check: true },
        ),
        target(
          'stream: every edit arrived on every stream',
          `${cfg.streams * edits}`,
          `${n} (${missing} missing)`,
          missing === 0,
          { check: true },
        ),
        target(
          "stream: each stream's final state equals /changes from its start",
          'all',
          stateMismatches ? `${stateMismatches} streams differ` : 'all',
          stateMismatches === 0,
          { check: true },
        ),
        target('stream: every edit accepted and mirrored', `${edits}`, `${mirrored}`, mirrored === edits, {
          check: true,
        }),
      ],
    };
  } catch (err) {
    // What the apps were doing: a crash or a refusal shows in their last lines.
    for (const app of stack.apps) {
      const state = app.running ? 'running' : `exited ${JSON.stringify(app.child.exitCode ?? app.child.signalCode)}`;
      console.error(`--- ${app.name} (${state}), last lines:\n${app.lines.slice(-15).join('\n')}`);
    }
    throw err;
  } finally {
    clearInterval(rssTimer);
    await Promise.allSettled(clients.map((c) => c.stop()));
    await notion.stop();
    await stack.destroy();
  }
}
