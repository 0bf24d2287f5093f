import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { buildDataSourceOptions, ensureDatabase, runMigrations } from '@app/database';
import {
  describeRotation,
  leftoverKeys,
  rotateSealedSecrets,
  SEALED_COLUMNS,
  SecretBox,
  type SealedColumn,
  type SecretPurpose,
} from '@app/projects';
import { AppProcess, freePort, REPO_ROOT, waitFor } from '@app/testing';
import { processEnv, testEnv } from '../../../test/jest/test-env.js';

const ROTATE_ENTRY = 'dist/apps/cli/apps/cli/src/rotate-secrets.js';
const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const K0 = `k0:${key(7)}`;
const K1 = `k1:${key(1)}`;
const K2 = `k2:${key(2)}`;

/** Each secret's plaintext names its row and kind, so every check knows what it must open to. */
const plaintextOf = (projectId: string, purpose: string) => `secret_${purpose}_${projectId}`;

/**
 * Key rotation end to end, on a database of this suite's own (the startup
 * check looks at every project, and other suites' rows are sealed under the
 * development key): secrets sealed under k1, `npm run secrets:rotate` with
 * "k2,k1", then a gateway with k2 alone. Driven by SEALED_COLUMNS, so a new
 * sealed secret is covered by adding its entry there.
 */
describe('secrets:rotate and the gateway startup check', () => {
  const run = new URL(testEnv().DATABASE_URL!);
  // Named like the run's database (its last part is the run id), so an interrupted run's copy is dropped as stale.
  const dbName = run.pathname.slice(1).replace(/^notion_sync_test_/, 'notion_sync_test_secrets_');
  const dbUrl = Object.assign(new URL(run), { pathname: `/${dbName}` }).toString();
  const env = (keys: string) => testEnv({ DATABASE_URL: dbUrl, ENCRYPTION_KEYS: keys, LOG_LEVEL: 'error' });
  const configWith = (keys: string) => loadConfig(env(keys));
  const boxWith = (keys: string) => new SecretBox(configWith(keys));
  let pg: Client;
  let nullable: ReadonlySet<string>;

  beforeAll(async () => {
    await ensureDatabase(configWith(K1));
    await runMigrations(configWith(K1));
    pg = new Client({ connectionString: dbUrl });
    await pg.connect();
    const { rows } = await pg.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'projects' AND is_nullable = 'YES'`,
    );
    nullable = new Set(rows.map((r) => r.column_name));
  });

  afterAll(async () => {
    await pg?.end();
    const admin = new Client({ connectionString: Object.assign(new URL(run), { pathname: '/postgres' }).toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  /**
   * Inserts `count` projects with every sealed secret under the first of `keys`;
   * columns that may be null are left null on even rows (as for a project
   * without a webhook yet).
   */
  async function seed(count: number, keys: string): Promise<string[]> {
    const box = boxWith(keys);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const token = box.seal(plaintextOf(id, 'notion-token'), { projectId: id, purpose: 'notion-token' });
      await pg.query(
        `INSERT INTO projects (id, owner_id, name, notion_database_id, notion_token_ciphertext, notion_token_key_id)
         VALUES ($1, 'rotation-owner', 'rotation', $2, $3, $4)`,
        [id, randomUUID(), token.ciphertext, token.keyId],
      );
      for (const column of SEALED_COLUMNS) {
        if (i % 2 === 0 && nullable.has(column.ciphertextColumn)) continue;
        await setSecret(id, column, box);
      }
      ids.push(id);
    }
    return ids;
  }

  const setSecret = async (id: string, column: SealedColumn, box: SecretBox) => {
    const plaintext = plaintextOf(id, column.purpose);
    const sealed = box.seal(plaintext, { projectId: id, purpose: column.purpose });
    // A secret looked up by its hash keeps the hash beside it (unchanged by a re-seal).
    const hash = column.hashColumn ? [createHash('sha256').update(plaintext).digest()] : [];
    await pg.query(
      `UPDATE projects SET ${column.ciphertextColumn} = $2, ${column.keyIdColumn} = $3
       ${column.hashColumn ? `, ${column.hashColumn} = $4` : ''} WHERE id = $1`,
      [id, sealed.ciphertext, sealed.keyId, ...hash],
    );
  };

  interface StoredSecret {
    id: string;
    purpose: SecretPurpose;
    keyId: string | null;
    ciphertext: Buffer | null;
  }
  async function stored(ids?: readonly string[]): Promise<StoredSecret[]> {
    const out: StoredSecret[] = [];
    for (const { purpose, ciphertextColumn, keyIdColumn } of SEALED_COLUMNS) {
      const { rows } = await pg.query<{ id: string; key_id: string | null; ciphertext: Buffer | null }>(
        `SELECT id, ${keyIdColumn} AS key_id, ${ciphertextColumn} AS ciphertext FROM projects
         WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[]) ORDER BY id`,
        [ids ?? null],
      );
      out.push(...rows.map((r) => ({ id: r.id, purpose, keyId: r.key_id, ciphertext: r.ciphertext })));
    }
    return out;
  }

  /** Expected counts per kind, from the seed's rule (nullable secrets on odd rows only). */
  const seeded = (count: number, column: SealedColumn) =>
    nullable.has(column.ciphertextColumn) ? Math.floor(count / 2) : count;

  /**
   * Runs the built gateway (a real process, as main.ts runs it) until it
   * listens, then stops it; or returns what it said when it refused to start.
   */
  async function startGateway(keys: string): Promise<{ started: boolean; code: number | null; output: string }> {
    const port = String(await freePort());
    const gateway = AppProcess.start('api-gateway', processEnv({ ...env(keys), PORT: port, LOG_LEVEL: 'info' }));
    try {
      await waitFor(() => !gateway.running || gateway.lines.some((l) => l.includes('api-gateway ready: ')), {
        what: 'the gateway to listen or exit',
      });
      const started = gateway.running;
      const { code } = started ? await gateway.stop('SIGTERM') : await gateway.exited;
      return { started, code, output: gateway.output() };
    } finally {
      await gateway.stop('SIGKILL');
    }
  }
  const STARTED = { started: true, code: 0, output: expect.any(String) };

  const rotateCli = (keys: string, ...args: string[]) =>
    spawnSync(process.execPath, [ROTATE_ENTRY, ...args], { cwd: REPO_ROOT, env: env(keys), encoding: 'utf8' });

  let seededIds: string[];

  it('refuses to start a gateway without a key that stored secrets are sealed under, naming it and the remedy', async () => {
    seededIds = await seed(7, K1);
    const refusal = await startGateway(K2);
    expect({ started: refusal.started, code: refusal.code }).toEqual({ started: false, code: 1 });
    const counts = SEALED_COLUMNS.map((c) => `${seeded(7, c)} ${c.purpose}`).join(', ');
    expect(refusal.output).toContain(`MissingSealingKeyError: Stored secrets are sealed under key "k1"`);
    expect(refusal.output).toContain(
      `"k1": ${SEALED_COLUMNS.reduce((n, c) => n + seeded(7, c), 0)} secrets: ${counts}`,
    );
    expect(refusal.output).toContain('run `npm run secrets:rotate`');
    // With the old key still in the ring it starts.
    expect(await startGateway(`${K2},${K1}`)).toEqual(STARTED);
  });

  it('re-seals every secret under the first key, in batches, printing counts per key id and no secret', () => {
    const result = rotateCli(`${K2},${K1}`, '--batch-size', '3');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    for (const column of SEALED_COLUMNS) {
      expect(result.stdout).toContain(`${column.purpose} under "k1": ${seeded(7, column)} re-sealed`);
    }
    expect(result.stdout).toContain('Every stored secret is sealed under "k2"');
    expect(result.stdout).not.toContain('secret_');
  });

  it('leaves every secret under k2, readable with k2 alone, and the empty ones empty', async () => {
    const box = boxWith(K2);
    const secrets = await stored(seededIds);
    expect(secrets.filter((s) => s.keyId !== null)).toHaveLength(
      SEALED_COLUMNS.reduce((sum, c) => sum + seeded(7, c), 0),
    );
    for (const s of secrets) {
      if (s.keyId === null) {
        expect(s.ciphertext).toBeNull();
        continue;
      }
      expect({ purpose: s.purpose, keyId: s.keyId }).toEqual({ purpose: s.purpose, keyId: 'k2' });
      expect(box.open({ keyId: s.keyId, ciphertext: s.ciphertext! }, { projectId: s.id, purpose: s.purpose })).toBe(
        plaintextOf(s.id, s.purpose),
      );
    }
  });

  it('then lets a gateway with k2 alone start', async () => {
    expect(await startGateway(K2)).toEqual(STARTED);
  });

  it('is idempotent: a second run re-seals nothing and changes no row', async () => {
    const before = await stored();
    const result = rotateCli(`${K2},${K1}`);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('nothing to re-seal');
    expect(await stored()).toEqual(before);
  });

  describe('beside running apps and with damaged rows', () => {
    let db: DataSource;

    beforeAll(async () => {
      db = new DataSource(buildDataSourceOptions(configWith(K1), { applicationName: 'rotation-spec' }));
      await db.initialize();
    });
    afterAll(async () => {
      await db?.destroy();
    });

    it('leaves a secret that an app replaced meanwhile as the app wrote it, and says so', async () => {
      const [first, second] = await seed(2, K1);
      const notionToken = SEALED_COLUMNS.find((c) => c.purpose === 'notion-token')!;
      let replaced = false;
      // An app still sealing under k1 replaces the token between the rotation's read and its write.
      const racing = new Proxy(db, {
        get(target, prop, receiver) {
          if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
          return async (sql: string, params?: unknown[]) => {
            const result = (await target.query(sql, params)) as unknown;
            if (!replaced && sql.trimStart().startsWith('SELECT id,')) {
              replaced = true;
              await setSecret(first!, notionToken, boxWith(K1));
            }
            return result;
          };
        },
      });
      const report = await rotateSealedSecrets(racing, boxWith(`${K2},${K1}`));
      expect(report.counts.find((c) => c.purpose === 'notion-token')).toMatchObject({
        keyId: 'k1',
        resealed: 1,
        changedMeanwhile: 1,
        unreadable: 0,
      });
      const tokens = (await stored([first!, second!])).filter((s) => s.purpose === 'notion-token');
      expect(Object.fromEntries(tokens.map((t) => [t.id, t.keyId]))).toEqual({ [first!]: 'k1', [second!]: 'k2' });
      expect(leftoverKeys(report).has('k1')).toBe(true);
      expect(describeRotation(report).join('\n')).toMatch(/1 changed meanwhile by a running app[\s\S]*Keep those keys/);

      // Once every app seals under k2, running it again finishes the job.
      const again = await rotateSealedSecrets(db, boxWith(`${K2},${K1}`));
      expect(leftoverKeys(again).size).toBe(0);
      expect(
        boxWith(K2).open(
          { keyId: 'k2', ciphertext: (await stored([first!]))[0]!.ciphertext! },
          { projectId: first!, purpose: 'notion-token' },
        ),
      ).toBe(plaintextOf(first!, 'notion-token'));
    });

    it('reports secrets it cannot open (unknown key, damaged, copied from another row), rotates the rest, and the gateway names their keys', async () => {
      const [unknownKey] = await seed(1, K0);
      const [damaged, copied, source, healthy] = await seed(4, K1);
      await pg.query(
        `UPDATE projects SET notion_token_ciphertext = set_byte(notion_token_ciphertext, length(notion_token_ciphertext) - 1,
           get_byte(notion_token_ciphertext, length(notion_token_ciphertext) - 1) # 1) WHERE id = $1`,
        [damaged],
      );
      await pg.query(
        `UPDATE projects SET notion_token_ciphertext = (SELECT notion_token_ciphertext FROM projects WHERE id = $2) WHERE id = $1`,
        [copied, source],
      );

      const report = await rotateSealedSecrets(db, boxWith(`${K2},${K1}`));
      const notion = (keyId: string) => report.counts.find((c) => c.purpose === 'notion-token' && c.keyId === keyId);
      expect(notion('k0')).toMatchObject({ unreadable: 1, resealed: 0 });
      expect(notion('k1')).toMatchObject({ unreadable: 2, resealed: 2 });
      expect(report.unreadable.filter((u) => u.purpose === 'notion-token')).toEqual(
        expect.arrayContaining([
          { projectId: unknownKey, purpose: 'notion-token', keyId: 'k0' },
          { projectId: damaged, purpose: 'notion-token', keyId: 'k1' },
          { projectId: copied, purpose: 'notion-token', keyId: 'k1' },
        ]),
      );
      expect((await stored([healthy!, source!])).every((s) => s.keyId === null || s.keyId === 'k2')).toBe(true);
      const text = describeRotation(report).join('\n');
      expect(text).toContain(`unreadable: project ${damaged}, notion-token under "k1"`);
      expect(text).not.toContain('secret_');
      expect([...leftoverKeys(report).keys()].sort()).toEqual(['k0', 'k1']);

      const refusal = await startGateway(K2);
      expect(refusal.code).toBe(1);
      expect(refusal.output).toContain('sealed under keys "k0", "k1", which ENCRYPTION_KEYS does not have');
      // The check reads key ids, not every ciphertext: with the keys back it starts, and the damaged rows fail only when used.
      expect(await startGateway(`${K2},${K1},${K0}`)).toEqual(STARTED);

      await pg.query('DELETE FROM projects WHERE id = ANY($1::uuid[])', [[unknownKey, damaged, copied]]);
      expect(await startGateway(K2)).toEqual(STARTED);
    });
  });
});
