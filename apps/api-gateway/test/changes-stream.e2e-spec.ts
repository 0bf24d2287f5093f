import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { signDevToken, StreamTickets } from '@app/auth';
import { Metrics } from '@app/observability';
import { MirrorWriter, type MirrorRow } from '@app/sync';
import { Redis } from 'ioredis';
import { createGatewayApp } from '../src/bootstrap.js';
import { SseClient } from '../../../test/jest/sse-client.js';
import { testConfig } from '../../../test/jest/test-env.js';

interface Row {
  id: string;
  title: string;
  version: string;
  deletedAt: string | null;
}

/** Settings every gateway of the suite shares. Quiet: 4xx answers log warnings. */
const COMMON = { THROTTLE_LIMIT: '100000', THROTTLE_IP_LIMIT: '100000', LOG_LEVEL: 'error' };

/**
 * The live change stream (issue 15) in process against the real Postgres and
 * Redis: two gateways of one deployment (A and B) serving streams of the same
 * projects, pages written with the sync's own MirrorWriter (so versions,
 * tombstones and the writers' announcements are exactly what a sync makes).
 * The timer is set to 5 minutes on A and B, so what reaches their streams in
 * time came through the announcements; one test checks the timer on its own.
 */
describe('change stream', () => {
  const config = testConfig({
    ...COMMON,
    STREAM_REFRESH_SECONDS: '300',
    STREAM_LIMIT_PER_USER: '3',
    STREAM_BUFFER_EVENTS: '5',
  });
  const secret = config.auth.mode === 'secret' ? config.auth.secret : '';
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let baseA: string;
  let baseB: string;
  let writer: MirrorWriter;
  let db: DataSource;
  const opened: SseClient[] = [];

  const token = (user: string) => signDevToken({ secret, sub: user, ttlSeconds: 600 });
  const bearer = (user: string) => ({ authorization: `Bearer ${token(user)}` });

  const call = async (base: string, user: string | null, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(user && bearer(user)), ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };

  const newProject = async (owner: string): Promise<string> => {
    const res = await call(baseA, owner, 'POST', '/projects', {
      name: 'Tasks',
      notionDatabaseId: randomUUID(),
      notionToken: 'secret_token',
    });
    expect(res.status).toBe(201);
    return res.body!.id as string;
  };

  let minute = 0;
  const row = (title: string, pageId: string = randomUUID(), extra: Record<string, unknown> = {}): MirrorRow => ({
    pageId,
    dataSourceId: '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e',
    title,
    properties: { Name: { id: 'title', type: 'title', title: [{ plain_text: title }] }, ...extra },
    url: 'https://www.notion.so/A-task',
    icon: null,
    createdTime: '2026-01-01T09:00:00.000Z',
    // Each write a minute later than the last: a newer edit always wins.
    lastEditedTime: new Date(Date.UTC(2026, 2, 1) + ++minute * 60_000).toISOString(),
    inTrash: false,
  });
  const upsert = async (projectId: string, rows: MirrorRow[]) => writer.upsert(projectId, rows, await writer.now());

  /** The whole feed after `after`, paged to its end: page id -> its last row. */
  const feedState = async (user: string, projectId: string, after = '0') => {
    const state = new Map<string, Row>();
    let position = after;
    for (;;) {
      const res = await call(baseA, user, 'GET', `/projects/${projectId}/changes?after=${position}&limit=1000`);
      expect(res.status).toBe(200);
      for (const item of res.body!.items as Row[]) state.set(item.id, item);
      position = res.body!.nextAfter;
      if (!res.body!.hasMore) return { state, head: position };
    }
  };

  const stateOf = (rows: readonly Row[]) => new Map(rows.map((r) => [r.id, r]));

  const stream = async (base: string, projectId: string, query = '', headers: Record<string, string> = {}) => {
    const client = await SseClient.open(`${base}/projects/${projectId}/changes/stream${query}`, headers);
    opened.push(client);
    return client;
  };

  /** Polls `check` every 50 ms for up to 10 s. */
  const waitUntil = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the condition never held');
  };

  const live = (client: SseClient) => client.waitFor(() => client.events.some((e) => e.event === 'live'), 'live');

  const expectIncreasing = (ids: readonly string[]) => {
    for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i]!)).toBeGreaterThan(BigInt(ids[i - 1]!));
  };

  beforeAll(async () => {
    a = await createGatewayApp(config);
    b = await createGatewayApp(config);
    await a.listen(0, '127.0.0.1');
    await b.listen(0, '127.0.0.1');
    baseA = `${await a.getUrl()}/api/v1`;
    baseB = `${await b.getUrl()}/api/v1`;
    writer = a.get(MirrorWriter);
    db = a.get<DataSource>(getDataSourceToken());
  });

  afterAll(async () => {
    for (const client of opened) client.close();
    await a?.close();
    await b?.close();
  });

  it('replays from 0, marks the replay done, then delivers writes live on two gateways, in the /changes shape', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    const first = [row('One'), row('Two'), row('Three')];
    await upsert(projectId, first);
    const onA = await stream(baseA, projectId, '', bearer(owner));
    const onB = await stream(baseB, projectId, '?after=0', bearer(owner));
    expect(onA.status).toBe(200);
    expect(onA.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(onA.headers['x-accel-buffering']).toBe('no');
    expect(onA.headers['cache-control']).toMatch(/no-cache/);
    await Promise.all([live(onA), live(onB)]);
    expect(onA.events[0]).toEqual({ event: 'retry', data: '', retry: config.stream.retryMs });
    const replayed = (await feedState(owner, projectId)).state;
    expect(onA.rows<Row>()).toEqual([...replayed.values()]);
    expect(JSON.parse(onA.events.find((e) => e.event === 'live')!.data)).toEqual({ version: onA.ids().at(-1) });

    // A write, then a deletion: both gateways hear the announcement (their timers are 5 minutes away).
    await upsert(projectId, [{ ...first[0]!, ...row('One, edited', first[0]!.pageId) }]);
    await writer.tombstone(projectId, first[1]!.pageId, await writer.now());
    for (const client of [onA, onB]) {
      await client.waitFor(() => client.rows<Row>().some((r) => r.deletedAt !== null), 'the tombstone');
      expectIncreasing(client.ids());
      expect(client.ids()).toEqual(
        client.events.filter((e) => e.event === 'change').map((e) => (JSON.parse(e.data) as Row).version),
      );
    }
    const { state } = await feedState(owner, projectId);
    expect(stateOf(onA.rows<Row>())).toEqual(state);
    expect(stateOf(onB.rows<Row>())).toEqual(state);
  });

  it('resumes after Last-Event-ID (which wins over after) and after ?after=, with exactly the rows after it', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    await upsert(
      projectId,
      Array.from({ length: 10 }, (_, i) => row(`Task ${i}`)),
    );
    const { state } = await feedState(owner, projectId);
    const versions = [...state.values()].map((r) => r.version);
    const middle = versions[4]!;
    const byHeader = await stream(baseB, projectId, '?after=0', { ...bearer(owner), 'last-event-id': middle });
    const byQuery = await stream(baseA, projectId, `?after=${middle}`, bearer(owner));
    await Promise.all([live(byHeader), live(byQuery)]);
    expect(byHeader.ids()).toEqual(versions.slice(5));
    expect(byQuery.ids()).toEqual(versions.slice(5));
    byHeader.close();
    byQuery.close();

    const bad = await stream(baseA, projectId, '', { ...bearer(owner), 'last-event-id': 'nope' });
    expect(bad.status).toBe(400);
    expect((await stream(baseA, projectId, '?after=-1', bearer(owner))).status).toBe(400);
  });

  it('hands over from replay to live with no gap and no duplicate while writes land', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    const pages = Array.from({ length: 60 }, (_, i) => row(`Task ${i}`));
    await upsert(projectId, pages);
    // Writes go on while streams open (their replays race the writes and the hub's reads).
    let writing = true;
    const writes = (async () => {
      for (let round = 0; writing || round < 5; round++) {
        const some = pages.filter((_, i) => (i + round) % 7 === 0);
        await upsert(
          projectId,
          some.map((p) => row(`${p.title} r${round}`, p.pageId)),
        );
      }
    })();
    const clients: SseClient[] = [];
    for (let i = 0; i < 3; i++) {
      clients.push(await stream(i % 2 ? baseB : baseA, projectId, '', bearer(owner)));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(clients.map((c) => c.status)).toEqual([200, 200, 200]);
    writing = false;
    await writes;
    const { state, head } = await feedState(owner, projectId);
    for (const client of clients) {
      await client.waitFor(() => client.ids().at(-1) === head, `the feed's head ${head}`);
      const ids = client.ids();
      expectIncreasing(ids);
      expect(new Set(ids).size).toBe(ids.length);
      expect(stateOf(client.rows<Row>())).toEqual(state);
      client.close();
    }
  });

  it("starts a position past the project's newest version at that version, and the feed goes on for every stream", async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    await upsert(projectId, [row('First')]);
    const { head } = await feedState(owner, projectId);
    // Another project's id, or a restored database: far past this feed.
    const ahead = await stream(baseA, projectId, '?after=9223372036854775807', bearer(owner));
    await live(ahead);
    expect(JSON.parse(ahead.events.find((e) => e.event === 'live')!.data)).toEqual({ version: head });
    const fresh = await stream(baseA, projectId, '?after=0', bearer(owner));
    await live(fresh);
    await upsert(projectId, [row('Second')]);
    for (const client of [ahead, fresh]) {
      await client.waitFor(() => client.rows<Row>().some((r) => r.title === 'Second'), 'the next write');
      client.close();
    }
    expect(fresh.rows<Row>().map((r) => r.title)).toEqual(['First', 'Second']);
  });

  it('answers HEAD with the stream headers and opens nothing; frees what a client that left at once held', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    const openOn = async (app: NestFastifyApplication) => (await app.get(Metrics).streamsOpen.get()).values[0]!.value;
    const before = (await openOn(a)) + (await openOn(b));
    const head = await fetch(`${baseA}/projects/${projectId}/changes/stream`, {
      method: 'HEAD',
      headers: bearer(owner),
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // Clients that go away while the stream is being opened (before, during or after the checks).
    for (let i = 0; i < 6; i++) {
      const aborter = new AbortController();
      const request = fetch(`${i % 2 ? baseB : baseA}/projects/${projectId}/changes/stream`, {
        headers: bearer(owner),
        signal: aborter.signal,
      }).catch(() => undefined);
      setTimeout(() => aborter.abort(), i);
      await request;
    }
    for (let i = 0; i < 100 && (await openOn(a)) + (await openOn(b)) !== before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await openOn(a)) + (await openOn(b))).toBe(before);
    // None of them holds a slot: the user may open the limit (3).
    const three = [];
    for (let i = 0; i < 3; i++) three.push(await stream(baseA, projectId, '', bearer(owner)));
    expect(three.map((c) => c.status)).toEqual([200, 200, 200]);
    for (const c of three) c.close();
  });

  it('opens with a ticket, on the stream route and its project only', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    const otherProject = await newProject(owner);
    const strangersProject = await newProject(`user_${randomUUID()}`);
    await upsert(projectId, [row('Ticketed')]);

    const issued = await call(baseA, owner, 'POST', `/projects/${projectId}/stream-tickets`);
    expect(issued.status).toBe(201);
    const { ticket, expiresAt } = issued.body as { ticket: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(50_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    // A ticket is signed by the deployment's key: gateway B accepts what A issued.
    const client = await stream(baseB, projectId, `?ticket=${encodeURIComponent(ticket)}`);
    expect(client.status).toBe(200);
    await live(client);
    expect(client.rows<Row>().map((r) => r.title)).toEqual(['Ticketed']);
    client.close();

    const refused = async (path: string, detail: RegExp) => {
      const res = await fetch(`${baseA}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
    };
    const q = `ticket=${encodeURIComponent(ticket)}`;
    await refused(`/projects/${otherProject}/changes/stream?${q}`, /another project/);
    await refused(`/projects/${projectId}/changes?${q}`, /Missing bearer token/);
    await refused(`/projects/${projectId}/pages?${q}`, /Missing bearer token/);
    await refused(`/projects/${projectId}?${q}`, /Missing bearer token/);
    await refused(
      `/projects/${projectId}/changes/stream?ticket=st1.forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
      /Invalid stream ticket/,
    );
    await refused(`/projects/${projectId}/changes/stream`, /Missing bearer token/);
    const expired = a.get(StreamTickets).issue({ ownerId: owner, projectId }, Date.now() - 61_000).ticket;
    await refused(
      `/projects/${projectId}/changes/stream?ticket=${encodeURIComponent(expired)}`,
      /Expired stream ticket/,
    );

    // Another user's project: 404 as everywhere, for a ticket and for the stream.
    expect((await call(baseA, owner, 'POST', `/projects/${strangersProject}/stream-tickets`)).status).toBe(404);
    expect((await stream(baseA, strangersProject, '', bearer(owner))).status).toBe(404);
    const forged = a.get(StreamTickets).issue({ ownerId: owner, projectId: strangersProject }).ticket;
    expect((await stream(baseA, strangersProject, `?ticket=${encodeURIComponent(forged)}`)).status).toBe(404);
  });

  it('answers 410 before streaming when the position is below the purge watermark', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    await upsert(projectId, [row('Kept')]);
    await db.query(`UPDATE project_sync SET purged_version = 1000000000 WHERE project_id = $1`, [projectId]);
    const old = await stream(baseA, projectId, '?after=5', bearer(owner));
    expect(old.status).toBe(410);
    expect(old.problem).toMatchObject({ status: 410, type: 'urn:notion-sync:problem:changes-expired' });
    const fresh = await stream(baseA, projectId, '?after=0', bearer(owner));
    expect(fresh.status).toBe(200);
    fresh.close();
  });

  it('limits open streams per user across gateways (429), and frees a slot when a stream closes', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    const held = [
      await stream(baseA, projectId, '', bearer(owner)),
      await stream(baseB, projectId, '', bearer(owner)),
      await stream(baseA, projectId, '', bearer(owner)),
    ];
    expect(held.map((c) => c.status)).toEqual([200, 200, 200]);
    const fourth = await stream(baseB, projectId, '', bearer(owner));
    expect(fourth.status).toBe(429);
    expect(fourth.problem).toMatchObject({ type: 'urn:notion-sync:problem:stream-limit' });
    expect(fourth.headers['retry-after']).toBe(String(config.stream.heartbeatSeconds));
    // Another user is not counted with this one.
    const stranger = `user_${randomUUID()}`;
    const theirs = await stream(baseB, await newProject(stranger), '', bearer(stranger));
    expect(theirs.status).toBe(200);
    theirs.close();

    held[1]!.close();
    const waitForSlot = async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const again = await stream(baseB, projectId, '', bearer(owner));
        if (again.status === 200) return again;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the closed stream never freed its slot');
    };
    const again = await waitForSlot();
    for (const c of [...held, again]) c.close();
  });

  it('counts again the streams whose slots Redis lost (a restart without persistence) at the next heartbeat', async () => {
    const beating = await createGatewayApp(
      testConfig({ ...COMMON, STREAM_HEARTBEAT_SECONDS: '1', STREAM_LIMIT_PER_USER: '2' }),
    );
    await beating.listen(0, '127.0.0.1');
    const redis = new Redis(config.redis.url);
    try {
      const base = `${await beating.getUrl()}/api/v1`;
      const owner = `user_${randomUUID()}`;
      const projectId = await newProject(owner);
      const held = [await stream(base, projectId, '', bearer(owner)), await stream(base, projectId, '', bearer(owner))];
      expect(held.map((c) => c.status)).toEqual([200, 200]);
      expect(await redis.del(`${config.redis.keyPrefix}:stream-slots:${owner}`)).toBe(1);
      // Renewed within a heartbeat or two: the user holds the limit again.
      await waitUntil(async () => (await redis.zcard(`${config.redis.keyPrefix}:stream-slots:${owner}`)) === 2);
      expect((await stream(base, projectId, '', bearer(owner))).status).toBe(429);
      for (const c of held) c.close();
    } finally {
      redis.disconnect();
      await beating.close();
    }
  });

  it('cuts a stream whose client does not read, and the client resumes from its last id', async () => {
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    // Large rows, so the socket's buffers fill: about 40 KB each.
    const big = { Notes: { id: 'n', type: 'rich_text', rich_text: [{ plain_text: 'x'.repeat(40_000) }] } };
    const slow = await stream(baseA, projectId, '', bearer(owner));
    await live(slow);
    slow.pause();
    const metrics = a.get(Metrics);
    const cut = async () =>
      (await metrics.streamsEnded.get()).values.find((v) => v.labels.reason === 'slow')?.value ?? 0;
    const cutBefore = await cut();
    for (let batch = 0; batch < 20 && (await cut()) === cutBefore; batch++) {
      await upsert(
        projectId,
        Array.from({ length: 25 }, (_, i) => row(`Big ${batch}.${i}`, randomUUID(), big)),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await cut()).toBe(cutBefore + 1);
    slow.resume();
    await slow.end();
    // Cut, not ended: no `end` event (its socket was full).
    expect(slow.events.some((e) => e.event === 'end')).toBe(false);
    const lastId = slow.ids().at(-1) ?? '0';
    const resumed = await stream(baseB, projectId, '', { ...bearer(owner), 'last-event-id': lastId });
    await live(resumed);
    const { state } = await feedState(owner, projectId);
    const all = [...slow.ids(), ...resumed.ids()];
    expectIncreasing(all);
    expect(stateOf([...slow.rows<Row>(), ...resumed.rows<Row>()])).toEqual(state);
    resumed.close();
  });

  it('re-reads on its timer: a write whose announcement was lost still arrives; a deleted project ends its streams', async () => {
    const timed = await createGatewayApp(testConfig({ ...COMMON, STREAM_REFRESH_SECONDS: '1' }));
    await timed.listen(0, '127.0.0.1');
    try {
      const owner = `user_${randomUUID()}`;
      const projectId = await newProject(owner);
      await upsert(projectId, [row('Quiet')]);
      const onTimer = await stream(`${await timed.getUrl()}/api/v1`, projectId, '', bearer(owner));
      const onAnnouncements = await stream(baseA, projectId, '', bearer(owner));
      await Promise.all([live(onTimer), live(onAnnouncements)]);
      // An announced write first: once A sent it, A's reads are done (they are serialized) and A waits for a wake-up.
      await upsert(projectId, [row('Announced')]);
      await onAnnouncements.waitFor(() => onAnnouncements.rows<Row>().some((r) => r.title === 'Announced'), 'it');
      // A new version with no announcement (as if its message was lost).
      await db.query(
        `UPDATE notion_pages SET title = 'Unannounced', version = nextval('notion_pages_version_seq') WHERE project_id = $1`,
        [projectId],
      );
      await onTimer.waitFor(() => onTimer.rows<Row>().some((r) => r.title === 'Unannounced'), 'the timer', 5000);
      // Gateway A re-reads every 5 minutes: it has not seen it (so the announcements are what the other tests saw).
      expect(onAnnouncements.rows<Row>().some((r) => r.title === 'Unannounced')).toBe(false);
      onAnnouncements.close();
      // The timer also ends the streams of a deleted project (a reconnect would get 404).
      expect((await call(baseA, owner, 'DELETE', `/projects/${projectId}`)).status).toBe(204);
      await onTimer.end();
      expect(onTimer.events.at(-1)).toMatchObject({ event: 'end', data: JSON.stringify({ reason: 'deleted' }) });
      expect((await stream(baseA, projectId, '', bearer(owner))).status).toBe(404);
    } finally {
      await timed.close();
    }
  });

  it('ends its streams with a retry hint when the gateway shuts down, and closes without waiting for them', async () => {
    const closing = await createGatewayApp(testConfig(COMMON));
    await closing.listen(0, '127.0.0.1');
    const base = `${await closing.getUrl()}/api/v1`;
    const owner = `user_${randomUUID()}`;
    const projectId = await newProject(owner);
    const clients = [
      await stream(base, projectId, '', bearer(owner)),
      await stream(base, projectId, '', bearer(owner)),
    ];
    await Promise.all(clients.map(live));
    await closing.close();
    for (const client of clients) {
      await client.end();
      expect(client.events.at(-1)).toEqual({
        event: 'end',
        data: JSON.stringify({ reason: 'shutdown' }),
        retry: config.stream.retryMs,
      });
    }
    // Its slots were freed: the user may open streams on another gateway at once.
    const three = [
      await stream(baseA, projectId, '', bearer(owner)),
      await stream(baseA, projectId, '', bearer(owner)),
      await stream(baseB, projectId, '', bearer(owner)),
    ];
    expect(three.map((c) => c.status)).toEqual([200, 200, 200]);
    for (const c of three) c.close();
  });
});
