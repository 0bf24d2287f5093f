import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, type EncryptionKey } from '@app/config';
import { SecretBox, SecretUnreadableError, type SecretPurpose } from './secret-box.js';

/** One column pair of `projects` that holds a secret sealed by `SecretBox`. */
export interface SealedColumn {
  /** The secret's name in its associated data (see SecretBox) and in reports. */
  readonly purpose: SecretPurpose;
  readonly ciphertextColumn: string;
  readonly keyIdColumn: string;
  /** A keyless SHA-256 of the plaintext beside it, for lookups: a re-seal leaves it as it is. */
  readonly hashColumn?: string;
}

/**
 * Every sealed secret at rest. Key rotation (`npm run secrets:rotate`) and the
 * gateway's startup check read this list: a new sealed secret is one entry here.
 * Column names are constants, interpolated into SQL.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { purpose: 'notion-token', ciphertextColumn: 'notion_token_ciphertext', keyIdColumn: 'notion_token_key_id' },
  { purpose: 'webhook-token', ciphertextColumn: 'webhook_token_ciphertext', keyIdColumn: 'webhook_token_key_id' },
  {
    purpose: 'webhook-key',
    ciphertextColumn: 'webhook_key_ciphertext',
    keyIdColumn: 'webhook_key_key_id',
    hashColumn: 'webhook_key_hash',
  },
];

/** How many secrets of each kind are sealed under each key id. */
export type KeyUsage = ReadonlyArray<{ readonly purpose: string; readonly keyId: string; readonly count: number }>;

/** Counts the stored secrets per kind and key id (null columns hold no secret). */
export async function sealedKeyUsage(db: DataSource, columns = SEALED_COLUMNS): Promise<KeyUsage> {
  const usage: Array<{ purpose: string; keyId: string; count: number }> = [];
  for (const { purpose, keyIdColumn } of columns) {
    const rows = await db.query<Array<{ key_id: string; count: number }>>(
      `SELECT ${keyIdColumn} AS key_id, count(*)::int AS count FROM projects
       WHERE ${keyIdColumn} IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
    for (const row of rows) usage.push({ purpose, keyId: row.key_id, count: row.count });
  }
  return usage;
}

/** Sums `usage` per key id, leaving out `except`. */
function byKey(usage: KeyUsage, except: (keyId: string) => boolean): Map<string, KeyUsage> {
  const keys = new Map<string, Array<KeyUsage[number]>>();
  for (const entry of usage) {
    if (except(entry.keyId)) continue;
    keys.set(entry.keyId, [...(keys.get(entry.keyId) ?? []), entry]);
  }
  return keys;
}

/** "3 secrets: 2 notion-token, 1 webhook-token" */
function describeCount(entries: KeyUsage): string {
  const total = entries.reduce((sum, e) => sum + e.count, 0);
  return `${total} secret${total === 1 ? '' : 's'}: ${entries.map((e) => `${e.count} ${e.purpose}`).join(', ')}`;
}

/** Stored secrets are sealed under keys that ENCRYPTION_KEYS no longer has: starting would only fail later, per row. */
export class MissingSealingKeyError extends Error {
  constructor(readonly missing: ReadonlyMap<string, KeyUsage>) {
    const keys = [...missing.keys()].map((id) => `"${id}"`).join(', ');
    super(
      `Stored secrets are sealed under ${missing.size === 1 ? 'key' : 'keys'} ${keys}, which ENCRYPTION_KEYS does not have (` +
        [...missing].map(([id, entries]) => `"${id}": ${describeCount(entries)}`).join('; ') +
        `). Put ${missing.size === 1 ? 'it' : 'them'} back in ENCRYPTION_KEYS after the current first key, ` +
        'run `npm run secrets:rotate`, and remove the old key only once it reports nothing sealed under it.',
    );
    this.name = 'MissingSealingKeyError';
  }
}

/** Throws a `MissingSealingKeyError` naming every key id in use that `keys` lacks. */
export async function assertSealingKeysPresent(db: DataSource, keys: readonly EncryptionKey[]): Promise<void> {
  const known = new Set(keys.map((k) => k.id));
  const missing = byKey(await sealedKeyUsage(db), (id) => known.has(id));
  if (missing.size > 0) throw new MissingSealingKeyError(missing);
}

/**
 * The gateway's startup check: it refuses to start when a stored secret is
 * sealed under a key it no longer has (an old key removed before
 * `secrets:rotate` finished), rather than failing later, project by project.
 */
@Injectable()
export class SealedKeysCheck implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await assertSealingKeysPresent(this.db, this.config.encryption.keys);
  }
}

/** What a rotation did with the secrets of one kind sealed under one old key. */
export interface RotationCount {
  readonly purpose: string;
  readonly keyId: string;
  /** Opened and sealed again under the active key. */
  resealed: number;
  /** Changed by an app between our read and our write: left as the app wrote it. */
  changedMeanwhile: number;
  /** Could not be opened: its key is not in ENCRYPTION_KEYS, or the ciphertext is damaged or belongs to another row. */
  unreadable: number;
}

export interface RotationReport {
  readonly activeKeyId: string;
  readonly counts: readonly RotationCount[];
  /** Projects whose secret could not be opened (at most `MAX_LISTED_UNREADABLE`), with the kind and key id. */
  readonly unreadable: ReadonlyArray<{ readonly projectId: string; readonly purpose: string; readonly keyId: string }>;
  /** The key ids in use once the rotation finished. */
  readonly after: KeyUsage;
}

export const MAX_LISTED_UNREADABLE = 20;
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Re-seals every stored secret that is not under the active (first) key of
 * ENCRYPTION_KEYS, `batchSize` rows per statement, so an old key can then be
 * removed. Idempotent (secrets already under the active key are not read),
 * and safe beside running apps: each write applies only if the row still
 * holds the ciphertext that was read, so a secret an app replaced meanwhile
 * is left as the app wrote it. Never logs or returns a secret.
 */
export async function rotateSealedSecrets(
  db: DataSource,
  box: SecretBox,
  { batchSize = 500, columns = SEALED_COLUMNS } = {},
): Promise<RotationReport> {
  const { activeKeyId } = box;
  const counts = new Map<string, RotationCount>();
  const unreadable: Array<RotationReport['unreadable'][number]> = [];
  const countFor = (purpose: string, keyId: string) => {
    const key = `${purpose}\u0000${keyId}`;
    if (!counts.has(key)) counts.set(key, { purpose, keyId, resealed: 0, changedMeanwhile: 0, unreadable: 0 });
    return counts.get(key)!;
  };

  for (const { purpose, ciphertextColumn: ct, keyIdColumn: kid } of columns) {
    let after = FIRST_UUID;
    for (;;) {
      const rows = await db.query<Array<{ id: string; ciphertext: Buffer; key_id: string }>>(
        `SELECT id, ${ct} AS ciphertext, ${kid} AS key_id FROM projects
         WHERE ${kid} IS NOT NULL AND ${kid} <> $1 AND id > $2 ORDER BY id LIMIT $3`,
        [activeKeyId, after, batchSize],
      );
      if (rows.length === 0) break;
      after = rows.at(-1)!.id;
      const resealed = new Map<string, { keyId: string; old: Buffer; sealed: Buffer }>();
      for (const row of rows) {
        const owner = { projectId: row.id, purpose };
        try {
          const sealed = box.seal(box.open({ keyId: row.key_id, ciphertext: row.ciphertext }, owner), owner);
          resealed.set(row.id, { keyId: row.key_id, old: row.ciphertext, sealed: sealed.ciphertext });
        } catch (err) {
          if (!(err instanceof SecretUnreadableError)) throw err;
          countFor(purpose, row.key_id).unreadable += 1;
          if (unreadable.length < MAX_LISTED_UNREADABLE) {
            unreadable.push({ projectId: row.id, purpose, keyId: row.key_id });
          }
        }
      }
      if (resealed.size === 0) continue;
      const batch = [...resealed.values()];
      // One statement per batch; a row is rewritten only if it still holds what we read.
      // (TypeORM answers an UPDATE on Postgres with [rows, affected].)
      const [updated] = await db.query<[Array<{ id: string }>, number]>(
        `UPDATE projects p SET ${ct} = v.sealed, ${kid} = $4
         FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS v(id, old, sealed)
         WHERE p.id = v.id AND p.${ct} = v.old
         RETURNING p.id`,
        [[...resealed.keys()], batch.map((b) => b.old), batch.map((b) => b.sealed), activeKeyId],
      );
      const done = new Set(updated.map((r) => r.id));
      for (const [id, { keyId }] of resealed) {
        const count = countFor(purpose, keyId);
        if (done.has(id)) count.resealed += 1;
        else count.changedMeanwhile += 1;
      }
    }
  }
  return { activeKeyId, counts: [...counts.values()], unreadable, after: await sealedKeyUsage(db, columns) };
}

/** The key ids other than the active one that still seal something after a rotation. */
export function leftoverKeys(report: RotationReport): Map<string, KeyUsage> {
  return byKey(report.after, (id) => id === report.activeKeyId);
}

/** The command's report: counts per key id and kind, and what to do next. Never a secret. */
export function describeRotation(report: RotationReport): string[] {
  const lines = [`secrets:rotate: sealing under "${report.activeKeyId}", the first key of ENCRYPTION_KEYS`];
  if (report.counts.length === 0) lines.push('  nothing to re-seal');
  for (const c of report.counts) {
    const parts = [`${c.resealed} re-sealed`];
    if (c.changedMeanwhile) parts.push(`${c.changedMeanwhile} changed meanwhile by a running app (left as written)`);
    if (c.unreadable) parts.push(`${c.unreadable} unreadable`);
    lines.push(`  ${c.purpose} under "${c.keyId}": ${parts.join(', ')}`);
  }
  const stored = new Map<string, string[]>();
  for (const e of report.after) stored.set(e.keyId, [...(stored.get(e.keyId) ?? []), `${e.count} ${e.purpose}`]);
  lines.push(
    `  now stored: ${stored.size ? [...stored].map(([id, parts]) => `"${id}": ${parts.join(', ')}`).join('; ') : 'no secrets'}`,
  );
  for (const u of report.unreadable) {
    lines.push(`  unreadable: project ${u.projectId}, ${u.purpose} under "${u.keyId}"`);
  }
  const leftover = leftoverKeys(report);
  if (leftover.size === 0) {
    lines.push(
      `Every stored secret is sealed under "${report.activeKeyId}": other keys can be removed from ENCRYPTION_KEYS.`,
    );
  } else {
    lines.push(
      `Still sealed under other keys: ${[...leftover].map(([id, e]) => `"${id}" (${describeCount(e)})`).join('; ')}. ` +
        'Keep those keys in ENCRYPTION_KEYS. A secret changed meanwhile is handled by running this again once every ' +
        'app runs with the new first key; an unreadable one needs its key back in ENCRYPTION_KEYS, or its owner to ' +
        'set it again (PATCH the Notion token, or reset the webhook).',
    );
  }
  return lines;
}
