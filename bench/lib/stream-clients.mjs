#!/usr/bin/env node
/**
 * The stream benchmark's clients (bench/stream.mjs), in a process of their own
 * so that their parsing never delays the fake Notion or the editor in the
 * bench process (and their CPU is counted apart). Forked with an IPC channel
 * (advanced serialization); the parent sends commands, each answered once:
 *
 *   { cmd: 'open', id, ... }    opens this process's streams (node:http GET,
 *                               `Authorization: Bearer`, no agent: a socket
 *                               each), answers once every one has its headers
 *   { cmd: 'status', id }       counts: live, events, ends, reconnects, ...
 *   { cmd: 'finish', id, expected }
 *                               closes the streams, checks each one's final
 *                               state against `expected` (the rows of
 *                               `/changes` from the streams' start), answers
 *                               the checks and, per stream and edit, when the
 *                               edit's event arrived (transferred as one
 *                               Float64Array, 0 when it never did)
 *
 * Parsing is kept cheap: events are cut at the blank line with indexOf, the
 * `id:` compared as a canonical decimal string (length, then characters), and
 * each distinct `data:` string is JSON-parsed once for all streams (every
 * stream receives the same bytes for a row): a Map from the string to its row.
 * Times are CLOCK_MONOTONIC (`process.hrtime`), the same clock in every
 * process of the machine, taken once per chunk received.
 */
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Milliseconds on the machine's monotonic clock (the parent uses the same). */
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** a > b for canonical decimal strings of non-negative integers (versions). */
const greater = (a, b) => a.length > b.length || (a.length === b.length && a > b);

let cfg;
/** Distinct rows seen, parsed once: data string -> index in `rows`. */
const rowIndex = new Map();
const rows = [];
/** Page id -> a small index (per-stream state is an Int32Array over it). */
const pageIndex = new Map();
let pageCap = 0;
let streams = [];
/** When the newest chunk of any stream arrived (for the parent's wait for quiet). */
let latestChunk = 0;
let arrivals;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function rowOf(data) {
  const known = rowIndex.get(data);
  if (known !== undefined) return known;
  let row;
  try {
    const json = JSON.parse(data);
    let page = pageIndex.get(json.id);
    if (page === undefined) {
      page = pageIndex.size;
      pageIndex.set(json.id, page);
    }
    let edit = -1;
    if (typeof json.title === 'string' && json.title.startsWith(cfg.titlePrefix)) {
      const i = Number(json.title.slice(cfg.titlePrefix.length));
      // An edit's title on another page than the one edited: counted as a wrong row.
      edit = Number.isInteger(i) && cfg.editPageIds[i] === json.id ? i : -2;
    }
    row = { pageId: json.id, page, version: json.version, title: json.title, deletedAt: json.deletedAt, edit };
  } catch {
    row = { pageId: null, page: -1, version: null, title: null, deletedAt: null, edit: -3 };
  }
  rows.push(row);
  rowIndex.set(data, rows.length - 1);
  return rows.length - 1;
}

class Stream {
  constructor(slot) {
    this.slot = slot;
    this.buf = '';
    this.lastId = '';
    this.live = false;
    this.liveVersion = null;
    this.liveAt = 0;
    this.openedAt = 0;
    this.headersAt = 0;
    this.status = 0;
    this.failure = null;
    this.events = 0;
    this.heartbeats = 0;
    this.editsArrived = 0;
    this.state = new Int32Array(pageCap);
    this.nonIncreasing = 0;
    this.idNotVersion = 0;
    this.wrongRows = 0;
    this.firstProblem = null;
    this.ends = [];
    this.reconnects = 0;
    this.retryMs = 2000;
    this.closing = false;
    this.reconnecting = false;
    this.pendingEnd = null;
    this.req = null;
  }

  problem(text) {
    this.firstProblem ??= text;
  }

  /** Opens (or, with Last-Event-ID, reopens) the stream; resolves when its headers arrived or it failed. */
  connect() {
    return new Promise((resolve) => {
      this.openedAt = now();
      const headers = { authorization: `Bearer ${cfg.bearer}`, accept: 'text/event-stream' };
      if (this.lastId) headers['last-event-id'] = this.lastId;
      const req = request({ host: '127.0.0.1', port: cfg.port, path: cfg.path, headers, agent: false }, (res) => {
        this.headersAt = now();
        this.status = res.statusCode;
        const type = String(res.headers['content-type'] ?? '');
        if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (body += c));
          res.on('end', () => {
            this.failure = `${res.statusCode} ${type}: ${body.slice(0, 300)}`;
            resolve();
          });
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk) => this.onData(chunk));
        res.on('close', () => this.onClose());
        resolve();
      });
      req.on('error', (err) => {
        if (this.closing) return;
        if (!this.headersAt || this.status !== 200) {
          this.failure = String(err);
          resolve();
        } else this.onClose(err);
      });
      req.end();
      this.req = req;
    });
  }

  onClose(err) {
    if (this.closing || this.reconnecting) return;
    // The server ended the stream (an `event: end`, or the socket closed): resume as EventSource does.
    this.reconnecting = true;
    this.ends.push({ at: now(), reason: this.pendingEnd ?? (err ? String(err) : 'closed') });
    this.pendingEnd = null;
    setTimeout(async () => {
      this.reconnecting = false;
      if (this.closing) return;
      this.reconnects++;
      this.buf = '';
      this.status = 0;
      this.headersAt = 0;
      await this.connect();
      if (this.failure) this.problem(`reconnect refused: ${this.failure}`);
    }, this.retryMs).unref();
  }

  onData(chunk) {
    const at = now();
    latestChunk = at;
    const buf = this.buf + chunk;
    let start = 0;
    for (;;) {
      const end = buf.indexOf('\n\n', start);
      if (end < 0) break;
      this.block(buf, start, end, at);
      start = end + 2;
    }
    this.buf = start === 0 ? buf : buf.slice(start);
  }

  /** One event (or comment) between start and end (its blank line). */
  block(buf, start, end, at) {
    let id = null;
    let event = 'message';
    let data = null;
    let pos = start;
    while (pos < end) {
      let eol = buf.indexOf('\n', pos);
      if (eol < 0 || eol > end) eol = end;
      if (buf.charCodeAt(pos) === 58 /* ':' */) {
        this.heartbeats++;
      } else {
        const colon = buf.indexOf(':', pos);
        const field = colon < 0 || colon > eol ? buf.slice(pos, eol) : buf.slice(pos, colon);
        let v = colon < 0 || colon > eol ? eol : colon + 1;
        if (buf.charCodeAt(v) === 32) v++;
        const value = buf.slice(v, eol);
        if (field === 'data') data = data === null ? value : `${data}\n${value}`;
        else if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
      }
      pos = eol + 1;
    }
    if (event === 'change') this.change(id, data, at);
    else if (event === 'live') {
      this.live = true;
      this.liveAt ||= at;
      try {
        this.liveVersion = JSON.parse(data).version;
      } catch {
        this.problem(`live event with data ${data}`);
      }
    } else if (event === 'end') {
      this.pendingEnd = data;
    } else if (data !== null || id !== null) {
      this.problem(`unexpected event ${event}`);
    }
  }

  change(id, data, at) {
    this.events++;
    if (id === null || data === null) {
      this.wrongRows++;
      return this.problem(`change without id or data`);
    }
    if (!greater(id, this.lastId || '')) {
      if (this.lastId) {
        this.nonIncreasing++;
        this.problem(`id ${id} after ${this.lastId}`);
      }
    }
    if (this.lastId === '' || greater(id, this.lastId)) this.lastId = id;
    const r = rowOf(data);
    const row = rows[r];
    if (row.version !== id) {
      this.idNotVersion++;
      this.problem(`id ${id} on a row of version ${row.version}`);
    }
    if (row.page < 0 || row.edit < -1) {
      this.wrongRows++;
      return this.problem(`wrong row: ${data.slice(0, 200)}`);
    }
    if (row.page >= this.state.length) {
      const grown = new Int32Array(Math.max(row.page + 1, this.state.length * 2));
      grown.set(this.state);
      this.state = grown;
    }
    this.state[row.page] = r + 1;
    if (row.edit >= 0) {
      const k = this.slot * cfg.editPageIds.length + row.edit;
      if (arrivals[k] === 0) {
        arrivals[k] = at;
        this.editsArrived++;
      }
    }
  }

  close() {
    this.closing = true;
    this.req?.destroy();
  }
}

async function open() {
  const started = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: cfg.openConcurrency }, async () => {
      while (next < streams.length) await streams[next++].connect();
    }),
  );
  const failed = streams.filter((s) => s.failure);
  return {
    opened: streams.length - failed.length,
    failed: failed.length,
    failures: [...new Set(failed.map((s) => s.failure))].slice(0, 5),
    openMs: now() - started,
    headersMs: streams.filter((s) => !s.failure).map((s) => s.headersAt - s.openedAt),
  };
}

function status() {
  let live = 0;
  let events = 0;
  let heartbeats = 0;
  let ends = 0;
  let reconnects = 0;
  let complete = 0;
  let failed = 0;
  for (const s of streams) {
    if (s.live) live++;
    if (s.failure) failed++;
    events += s.events;
    heartbeats += s.heartbeats;
    ends += s.ends.length;
    reconnects += s.reconnects;
    if (s.editsArrived === cfg.editPageIds.length) complete++;
  }
  return { streams: streams.length, live, failed, events, heartbeats, ends, reconnects, complete, latestChunk };
}

/** Compares every stream's final state with the expected rows; closes the streams. */
function finish(expected) {
  for (const s of streams) s.close();
  const want = expected.map(([pageId, version, title, deletedAt]) => ({ pageId, version, title, deletedAt }));
  const per = [];
  let stateMismatches = 0;
  const wanted = new Set(want.map((w) => pageIndex.get(w.pageId)));
  for (const s of streams) {
    let seen = 0;
    let extra = 0;
    for (let p = 0; p < s.state.length; p++) {
      if (!s.state[p]) continue;
      seen++;
      if (!wanted.has(p)) extra++;
    }
    let wrong = 0;
    let sample = null;
    for (const w of want) {
      const p = pageIndex.get(w.pageId);
      const r = p === undefined || p >= s.state.length ? 0 : s.state[p];
      const row = r ? rows[r - 1] : null;
      if (!row || row.version !== w.version || row.title !== w.title || row.deletedAt !== w.deletedAt) {
        wrong++;
        sample ??= { want: w, got: row && { version: row.version, title: row.title, deletedAt: row.deletedAt } };
      }
    }
    const equal = wrong === 0 && extra === 0;
    if (!equal) stateMismatches++;
    per.push({
      slot: s.slot,
      equal,
      seen,
      wrong,
      extra,
      sample,
      nonIncreasing: s.nonIncreasing,
      idNotVersion: s.idNotVersion,
      wrongRows: s.wrongRows,
      editsArrived: s.editsArrived,
      events: s.events,
      ends: s.ends,
      reconnects: s.reconnects,
      liveVersion: s.liveVersion,
      firstProblem: s.firstProblem,
    });
  }
  loopDelay.disable();
  return {
    streams: streams.length,
    stateMismatches,
    perStream: per,
    distinctRows: rows.length,
    loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  };
}

process.on('message', async (msg) => {
  let result;
  if (msg.cmd === 'open') {
    cfg = msg;
    pageCap = cfg.pageCount + 64;
    arrivals = new Float64Array(cfg.count * cfg.editPageIds.length);
    streams = Array.from({ length: cfg.count }, (_, slot) => new Stream(slot));
    loopDelay.enable();
    result = await open();
  } else if (msg.cmd === 'status') result = status();
  else if (msg.cmd === 'finish') {
    result = finish(msg.expected);
    result.arrivals = arrivals;
  } else result = { error: `unknown command ${msg.cmd}` };
  process.send({ id: msg.id, result });
});
