import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { signDevToken } from '@app/auth';
import { loadConfig } from '@app/config';
import { AppProcess, freePort } from '@app/testing';
import { processEnv, testEnv } from '../../../test/jest/test-env.js';

/**
 * The projects API as clients use it, against the built gateway process (its
 * log output is captured, to prove no secret reaches it) and the real Postgres.
 */
describe('projects API', () => {
  const env = testEnv();
  const config = loadConfig(env);
  let gateway: AppProcess;
  let base: string;
  let pg: Client;
  /** Every secret this suite sends: none may appear in a response or a log line. */
  const secrets: string[] = [];

  const secret = (prefix: string) => {
    const value = `${prefix}_${randomBytes(12).toString('hex')}`;
    secrets.push(value);
    return value;
  };
  const tokenFor = (sub: string) => {
    const token = signDevToken({
      secret: config.auth.mode === 'secret' ? config.auth.secret : '',
      sub,
      ttlSeconds: 600,
    });
    secrets.push(token);
    return token;
  };
  const responses: string[] = [];
  const call = async (user: string | null, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(user && { authorization: `Bearer ${tokenFor(user)}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    responses.push(text);
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as Record<string, any>) : undefined,
    };
  };
  const dbId = () => randomUUID();
  const newProject = (overrides: Record<string, unknown> = {}) => ({
    name: 'Roadmap',
    notionDatabaseId: dbId(),
    notionToken: secret('secret'),
    ...overrides,
  });
  const rowCount = async (ownerId: string) =>
    Number((await pg.query('SELECT count(*) FROM projects WHERE owner_id = $1', [ownerId])).rows[0].count);

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    gateway = AppProcess.start(
      'api-gateway',
      processEnv({
        PORT: String(port),
        LOG_LEVEL: 'debug',
        PUBLIC_BASE_URL: 'https://sync.example.com',
        // The list spec creates exactly this many for one user, then one too many.
        PROJECTS_PER_USER_LIMIT: '45',
      }),
    );
    await gateway.waitForReady(port);
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await gateway?.stop('SIGTERM');
    // Last: nothing this suite sent as a secret was ever answered or logged.
    const seen = [...responses, ...(gateway?.lines ?? [])].join('\n');
    for (const value of secrets) expect(seen).not.toContain(value);
  });

  describe('create', () => {
    it('stores the project, with its token encrypted, and answers 201 with Location', async () => {
      const user = `auth0|${randomUUID()}`;
      const input = newProject({
        notionDatabaseId: `https://www.notion.so/acme/Tasks-${'ab'.repeat(16)}?v=${'cd'.repeat(16)}`,
      });
      const res = await call(user, 'POST', '/projects', input);
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/api/v1/projects/${res.body!.id}`);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Roadmap',
        notionDatabaseId: 'abababab-abab-abab-abab-abababababab',
        webhook: {
          url: expect.stringMatching(
            /^https:\/\/sync\.example\.com\/api\/v1\/webhooks\/notion\/whk_[A-Za-z0-9_-]{32}$/,
          ),
          status: 'awaiting_handshake',
        },
        syncContent: true,
        // Its first import is asked for (no worker runs in this suite: it stays queued).
        sync: {
          status: 'queued',
          lastSyncedAt: null,
          pageCount: 0,
          lastError: null,
          contentPending: 0,
          contentError: null,
        },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const row = (await pg.query('SELECT * FROM projects WHERE id = $1', [res.body!.id])).rows[0];
      // Its sync state, born with it, asks for the first full sync (the event-worker's relay picks it up if the
      // event is lost).
      const sync = (await pg.query('SELECT * FROM project_sync WHERE project_id = $1', [res.body!.id])).rows[0];
      expect(sync.requested_at).toBeInstanceOf(Date);
      expect(row.owner_id).toBe(user);
      expect(row.notion_token_key_id).toBe(config.encryption.keys[0]!.id);
      expect(Buffer.isBuffer(row.notion_token_ciphertext)).toBe(true);
      expect(row.notion_token_ciphertext.includes(Buffer.from(input.notionToken))).toBe(false);
      expect(row.webhook_token_ciphertext).toBeNull();
    });

    it('is verified at once when created with the webhook secret', async () => {
      const res = await call('carol', 'POST', '/projects', newProject({ notionWebhookSecret: secret('whsec') }));
      expect(res.status).toBe(201);
      expect(res.body!.webhook.status).toBe('verified');
      const row = (await pg.query('SELECT webhook_token_ciphertext FROM projects WHERE id = $1', [res.body!.id]))
        .rows[0];
      expect(row.webhook_token_ciphertext).toBeInstanceOf(Buffer);
    });

    it('answers 409 when the user binds the same database twice (dashes or not), but lets another user bind it', async () => {
      const id = dbId();
      expect((await call('dave', 'POST', '/projects', newProject({ notionDatabaseId: id }))).status).toBe(201);
      const again = await call('dave', 'POST', '/projects', newProject({ notionDatabaseId: id.replace(/-/g, '') }));
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(again.body).toMatchObject({
        status: 409,
        title: 'Conflict',
        type: 'urn:notion-sync:problem:project-already-bound',
      });
      expect((await call('erin', 'POST', '/projects', newProject({ notionDatabaseId: id }))).status).toBe(201);
      expect(await rowCount('dave')).toBe(1);
    });

    it.each([
      ['an unknown field (no mass assignment of ownerId)', { ownerId: 'mallory' }, 'ownerId'],
      ['an id', { id: randomUUID() }, 'id'],
      ['an empty name', { name: '   ' }, 'name'],
      ['a 101-character name', { name: 'x'.repeat(101) }, 'name'],
      ['a bad database id', { notionDatabaseId: 'not-a-notion-id' }, 'notionDatabaseId'],
      ['no token', { notionToken: undefined }, 'notionToken'],
      ['a null webhook secret', { notionWebhookSecret: null }, 'notionWebhookSecret'],
      ['a control character in the name', { name: 'a\u0000b' }, 'name'],
    ])('answers 400 with field errors for %s, and stores nothing', async (_case, overrides, field) => {
      const user = `user_${randomUUID()}`;
      const res = await call(user, 'POST', '/projects', newProject(overrides));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
      expect(res.body!.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await rowCount(user)).toBe(0);
    });

    it('answers 415 for bodies that are not JSON, and 400 for JSON that is not an object', async () => {
      const send = (contentType: string, body: string) =>
        fetch(`${base}/projects`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenFor('gina')}`, 'content-type': contentType },
          body,
        });
      const form = await send(
        'application/x-www-form-urlencoded',
        `name=Form&notionDatabaseId=${dbId()}&notionToken=t`,
      );
      expect(form.status).toBe(415);
      expect(form.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await send('text/plain', JSON.stringify(newProject()))).status).toBe(415);
      expect((await call('gina', 'POST', '/projects', '[1, 2]')).status).toBe(400);
      expect(await rowCount('gina')).toBe(0);
    });

    it('answers 400 for malformed JSON and 413 for a body over 100 KB', async () => {
      expect((await call('frank', 'POST', '/projects', '{"name": ')).status).toBe(400);
      const big = await call('frank', 'POST', '/projects', newProject({ notionToken: 'x'.repeat(101 * 1024) }));
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ status: 413, title: 'Payload Too Large' });
      expect(await rowCount('frank')).toBe(0);
    });
  });

  describe('bad input the fuzzer found', () => {
    /** Tokens no HTTP header can carry, or that no Notion token looks like. */
    const unsendable = (prefix: string) =>
      ['\r', '\n', '\r\n', '\u0000', '\u007f', '\t', ' ', '😀', '\u200b', 'é'].map((char) => {
        const value = `${prefix}_${randomBytes(6).toString('hex')}${char}${randomBytes(6).toString('hex')}`;
        secrets.push(value);
        return value;
      });
    const row = async (id: string) => (await pg.query('SELECT * FROM projects WHERE id = $1', [id])).rows[0];

    it('refuses Notion tokens and webhook secrets no HTTP header can carry (CR, LF, NUL, emoji, zero-width...), storing nothing', async () => {
      const user = `user_${randomUUID()}`;
      for (const notionToken of unsendable('ntn')) {
        const res = await call(user, 'POST', '/projects', newProject({ notionToken }));
        expect(res.status).toBe(400);
        expect(res.body!.errors).toEqual([
          { field: 'notionToken', messages: [expect.stringMatching(/^notionToken must be/)] },
        ]);
      }
      for (const notionWebhookSecret of unsendable('secret')) {
        const res = await call(user, 'POST', '/projects', newProject({ notionWebhookSecret }));
        expect(res.status).toBe(400);
        expect(res.body!.errors.map((e: { field: string }) => e.field)).toEqual(['notionWebhookSecret']);
      }
      expect(await rowCount(user)).toBe(0);

      const id = (await call(user, 'POST', '/projects', newProject())).body!.id as string;
      const before = await row(id);
      for (const notionToken of unsendable('ntn')) {
        expect((await call(user, 'PATCH', `/projects/${id}`, { notionToken })).status).toBe(400);
      }
      for (const notionWebhookSecret of unsendable('secret')) {
        expect((await call(user, 'PATCH', `/projects/${id}`, { notionWebhookSecret })).status).toBe(400);
      }
      expect(await row(id)).toEqual(before);
    });

    it('answers 400 for deeply nested JSON on POST and PATCH (it was a 500: a stack overflow)', async () => {
      const user = `user_${randomUUID()}`;
      const id = (await call(user, 'POST', '/projects', newProject())).body!.id as string;
      const before = await row(id);
      const deep = (depth: number) => `{"name":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      for (const depth of [40, 5000, 15_000]) {
        for (const [method, path] of [
          ['POST', '/projects'],
          ['PATCH', `/projects/${id}`],
        ] as const) {
          const res = await call(user, method, path, deep(depth));
          expect(res.status).toBe(400);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(res.body!.detail).toBe('The JSON body is nested more than 32 levels deep');
        }
      }
      expect(await rowCount(user)).toBe(1);
      expect(await row(id)).toEqual(before);
    });

    it('answers 400 to a PATCH whose body is not an object: null too (it was 200), changing nothing', async () => {
      const user = `user_${randomUUID()}`;
      const id = (await call(user, 'POST', '/projects', newProject())).body!.id as string;
      const before = await row(id);
      for (const body of ['null', '[]', '1', '"x"', 'true']) {
        const res = await call(user, 'PATCH', `/projects/${id}`, body);
        expect(`${body}: ${res.status}`).toBe(`${body}: 400`);
        expect(res.body!.detail).toBe('The JSON body must be an object');
      }
      expect((await call(user, 'POST', '/projects', 'null')).status).toBe(400);
      expect(await row(id)).toEqual(before);
    });

    it('counts name lengths in characters, as Postgres does: 100 emoji fit, 101 do not', async () => {
      const user = `user_${randomUUID()}`;
      const created = await call(user, 'POST', '/projects', newProject({ name: '😀'.repeat(100) }));
      expect(created.status).toBe(201);
      expect(created.body!.name).toBe('😀'.repeat(100));
      expect(
        (await pg.query('SELECT char_length(name) AS n FROM projects WHERE id = $1', [created.body!.id])).rows[0].n,
      ).toBe(100);
      const renamed = await call(user, 'PATCH', `/projects/${created.body!.id}`, { name: '👍🏽'.repeat(50) });
      expect(renamed.status).toBe(200);
      for (const name of ['😀'.repeat(101), ` ${'x'.repeat(100)}`]) {
        expect((await call(user, 'POST', '/projects', newProject({ name }))).status).toBe(400);
        expect((await call(user, 'PATCH', `/projects/${created.body!.id}`, { name })).status).toBe(400);
      }
    });

    it.each([
      ['zero-width spaces only', '\u200b\u200b\u200b'],
      ['a word joiner and a BOM', '\u2060\ufeff'],
      ['Hangul fillers', '\u3164\u3164'],
      ['no-break spaces', '\u00a0\u00a0'],
      ['a right-to-left override', 'Quarterly\u202eslx.exe'],
      ['a first-strong isolate', 'Plan \u2068x\u2069'],
      ['a C1 control', 'Plan\u0085'],
    ])('refuses a name with %s, on create and on rename', async (_case, name) => {
      const user = `user_${randomUUID()}`;
      const res = await call(user, 'POST', '/projects', newProject({ name }));
      expect(res.status).toBe(400);
      expect(res.body!.errors.map((e: { field: string }) => e.field)).toEqual(['name']);
      const id = (await call(user, 'POST', '/projects', newProject())).body!.id as string;
      expect((await call(user, 'PATCH', `/projects/${id}`, { name })).status).toBe(400);
      expect((await row(id)).name).toBe('Roadmap');
    });

    it('takes any UUID as an id, as the document says (format: uuid), in either case', async () => {
      const user = `user_${randomUUID()}`;
      const id = (await call(user, 'POST', '/projects', newProject())).body!.id as string;
      const upper = await call(user, 'GET', `/projects/${id.toUpperCase()}`);
      expect(upper.status).toBe(200);
      expect(upper.body!.id).toBe(id);
      // Version 0, variant bits unset: a UUID all the same; it names no project (404, not 400).
      const res = await call(user, 'GET', '/projects/12345678-1234-0234-0234-123456789abc');
      expect(res.status).toBe(404);
    });
  });

  describe('list', () => {
    it('pages 45 projects as 20, 20 and 5, newest first, with no duplicate or gap even when creation times tie', async () => {
      const user = `user_${randomUUID()}`;
      const ids: string[] = [];
      for (let i = 0; i < 45; i++)
        ids.push((await call(user, 'POST', '/projects', newProject({ name: `p${i}` }))).body!.id);
      // The per-user limit (PROJECTS_PER_USER_LIMIT, 45 here): one more is a clear 409 that stores nothing.
      const over = await call(user, 'POST', '/projects', newProject());
      expect(over.status).toBe(409);
      expect(over.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(over.body).toMatchObject({
        type: 'urn:notion-sync:problem:project-quota-exceeded',
        detail: 'You have reached the limit of 45 projects: delete one before creating another',
      });
      expect(await rowCount(user)).toBe(45);
      // Ties: three groups of projects that share one creation time each.
      await pg.query(`UPDATE projects SET created_at = '2026-01-01T00:00:00.123456Z' WHERE id = ANY($1)`, [
        ids.slice(0, 15),
      ]);
      await pg.query(`UPDATE projects SET created_at = '2026-01-02T00:00:00Z' WHERE id = ANY($1)`, [ids.slice(15, 35)]);
      // Another user's projects never show up.
      await call('someone-else', 'POST', '/projects', newProject());

      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const res = await call(user, 'GET', `/projects${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        pages.push(res.body!.items.map((p: { id: string }) => p.id));
        cursor = res.body!.nextCursor;
      } while (cursor);

      expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
      const seen = pages.flat();
      expect(new Set(seen).size).toBe(45);
      expect([...seen].sort()).toEqual([...ids].sort());
      // Newest first: the 10 untouched (newest) come before the tied groups.
      expect(new Set(seen.slice(0, 10))).toEqual(new Set(ids.slice(35)));
    });

    it('honours limit, and answers 400 for a limit out of range or a tampered cursor', async () => {
      const user = `user_${randomUUID()}`;
      for (let i = 0; i < 3; i++) await call(user, 'POST', '/projects', newProject());
      const first = await call(user, 'GET', '/projects?limit=2');
      expect(first.body!.items).toHaveLength(2);
      const cursor: string = first.body!.nextCursor;
      expect(
        (await call(user, 'GET', `/projects?limit=2&cursor=${encodeURIComponent(cursor)}`)).body!.items,
      ).toHaveLength(1);

      for (const limit of ['0', '101', 'ten'])
        expect((await call(user, 'GET', `/projects?limit=${limit}`)).status).toBe(400);
      const [payload, signature] = cursor.split('.');
      const forged = Buffer.from(JSON.stringify(['2099-01-01T00:00:00.000000Z', randomUUID()])).toString('base64url');
      for (const bad of [`${forged}.${signature}`, `${payload}.${'A'.repeat(signature!.length)}`, 'garbage']) {
        const res = await call(user, 'GET', `/projects?cursor=${encodeURIComponent(bad)}`);
        expect(res.status).toBe(400);
        expect(res.body!.type).toBe('urn:notion-sync:problem:invalid-cursor');
      }
    });
  });

  describe('get, patch and delete', () => {
    let owner: string;
    let id: string;
    beforeEach(async () => {
      owner = `user_${randomUUID()}`;
      id = (await call(owner, 'POST', '/projects', newProject({ name: 'Mine' }))).body!.id;
    });

    it('answers 404 to another user for get, patch and delete, and changes nothing', async () => {
      const before = (await pg.query('SELECT * FROM projects WHERE id = $1', [id])).rows[0];
      expect((await call('intruder', 'GET', `/projects/${id}`)).status).toBe(404);
      const patch = await call('intruder', 'PATCH', `/projects/${id}`, {
        name: 'Hijacked',
        notionToken: secret('secret'),
      });
      expect(patch.status).toBe(404);
      expect(patch.body).toMatchObject({
        type: 'urn:notion-sync:problem:project-not-found',
        detail: 'No project with that id',
      });
      expect((await call('intruder', 'DELETE', `/projects/${id}`)).status).toBe(404);
      expect((await pg.query('SELECT * FROM projects WHERE id = $1', [id])).rows[0]).toEqual(before);
      // The same answer as for an id that does not exist at all.
      expect((await call(owner, 'GET', `/projects/${randomUUID()}`)).body).toMatchObject({
        status: 404,
        detail: 'No project with that id',
      });
    });

    it('lets the owner read, rename, rotate the token and set the webhook secret', async () => {
      expect((await call(owner, 'GET', `/projects/${id}`)).body).toMatchObject({ id, name: 'Mine' });
      const before = (await pg.query('SELECT notion_token_ciphertext FROM projects WHERE id = $1', [id])).rows[0];
      const res = await call(owner, 'PATCH', `/projects/${id}`, {
        name: '  Renamed  ',
        notionToken: secret('secret'),
        notionWebhookSecret: secret('whsec'),
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, name: 'Renamed', webhook: { status: 'verified' } });
      expect(new Date(res.body!.updatedAt).getTime()).toBeGreaterThan(new Date(res.body!.createdAt).getTime());
      const after = (await pg.query('SELECT notion_token_ciphertext FROM projects WHERE id = $1', [id])).rows[0];
      expect(after.notion_token_ciphertext.equals(before.notion_token_ciphertext)).toBe(false);
    });

    it('answers queued to a sync request and to a new token, until a run starts; a rename leaves the status', async () => {
      const status = async () => (await call(owner, 'GET', `/projects/${id}`)).body!.sync.status;
      expect(await status()).toBe('queued');
      // As the job-worker leaves it after a first full sync.
      const synced = () =>
        pg.query(
          `UPDATE project_sync SET started_at = clock_timestamp(), last_synced_at = clock_timestamp()
           WHERE project_id = $1`,
          [id],
        );
      await synced();
      expect(await status()).toBe('idle');
      const requested = await call(owner, 'POST', `/projects/${id}/sync`);
      expect(requested.status).toBe(202);
      expect(requested.body!.sync).toMatchObject({ status: 'queued', lastSyncedAt: expect.any(String) });
      expect(await status()).toBe('queued');

      await synced();
      expect((await call(owner, 'PATCH', `/projects/${id}`, { name: 'Renamed' })).body!.sync.status).toBe('idle');
      const rotated = await call(owner, 'PATCH', `/projects/${id}`, { notionToken: secret('secret') });
      expect(rotated.status).toBe(200);
      expect(rotated.body!.sync.status).toBe('queued');
      expect(await status()).toBe('queued');
    });

    it('refuses to patch the database binding, the owner or the id, and null values', async () => {
      for (const body of [
        { notionDatabaseId: dbId() },
        { ownerId: 'x' },
        { id: randomUUID() },
        { name: null },
        { notionToken: null },
        { notionWebhookSecret: null },
      ]) {
        expect((await call(owner, 'PATCH', `/projects/${id}`, body)).status).toBe(400);
      }
    });

    it('deletes for the owner: 204, then 404', async () => {
      const res = await call(owner, 'DELETE', `/projects/${id}`);
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();
      expect((await call(owner, 'GET', `/projects/${id}`)).status).toBe(404);
      expect(await rowCount(owner)).toBe(0);
    });

    it('answers 400 for an id that is not a UUID', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await call(owner, method, '/projects/123', method === 'PATCH' ? { name: 'x' } : undefined);
        expect(res.status).toBe(400);
        expect(res.body!.errors).toEqual([{ field: 'id', messages: ['id must be a UUID'] }]);
      }
    });
  });

  it('serves the API docs UI with its assets', async () => {
    const origin = base.replace('/api/v1', '');
    const page = await fetch(`${origin}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /src="\.?\/?(?:docs\/)?([\w.-]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(`${origin}/docs/${asset}`)).status).toBe(200);
  });

  it('answers 401 problem+json without a token', async () => {
    const res = await call(null, 'GET', '/projects');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });
  });
});
