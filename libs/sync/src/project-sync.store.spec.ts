import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { getMetadataArgsStorage } from 'typeorm';
import { ProjectEntity } from '@app/projects';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STORE = 'libs/sync/src/project-sync.store.ts';
/** Outside the store, only the schema and test fixtures may write sync state. */
const EXEMPT = [/^libs\/database\/src\/migrations\//, /^libs\/testing\//, /\.spec\.ts$/];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** SQL that writes `project_sync` (an UPDATE, INSERT, DELETE or TRUNCATE of it, or a lock for one). */
const SYNC_WRITES = [
  /\bUPDATE\s+project_sync\b/gi,
  /\bINSERT\s+INTO\s+project_sync\b/gi,
  /\bDELETE\s+FROM\s+project_sync\b/gi,
  /\bTRUNCATE\s+(TABLE\s+)?project_sync\b/gi,
  /\bFROM\s+project_sync\b[^`;]*?\bFOR\s+(NO\s+KEY\s+)?UPDATE\b/gis,
];

function syncWritesIn(text: string): string[] {
  return SYNC_WRITES.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[0].replace(/\s+/g, ' ')));
}

/**
 * Sync state (`project_sync`) changes only through ProjectSyncStore: the
 * rules about what may change it, and in which transaction, live in one file.
 */
describe('sync state is written only by ProjectSyncStore', () => {
  it('finds the writes it looks for (the patterns are not blind)', () => {
    expect(syncWritesIn('`UPDATE project_sync SET page_count = 3 WHERE project_id = $1`')).toHaveLength(1);
    expect(syncWritesIn("`update\n  project_sync SET status = 'idle'`")).toHaveLength(1);
    expect(syncWritesIn('`INSERT INTO project_sync (project_id) VALUES ($1)`')).toHaveLength(1);
    expect(syncWritesIn('`DELETE FROM project_sync WHERE project_id = $1`')).toHaveLength(1);
    expect(syncWritesIn('`SELECT 1 FROM project_sync WHERE project_id = $1 FOR NO KEY UPDATE`')).toHaveLength(1);
    expect(syncWritesIn('`UPDATE sync_failures SET retried_at = $2 WHERE id = $1`')).toEqual([]);
    expect(syncWritesIn('`UPDATE projects SET name = $2 WHERE id = $1`')).toEqual([]);
    expect(syncWritesIn('`SELECT status FROM project_sync WHERE project_id = $1`')).toEqual([]);
  });

  it('has no SQL outside the store that writes project_sync', () => {
    const roots = ['apps', 'libs'].flatMap((top) => readdirSync(join(ROOT, top)).map((name) => `${top}/${name}/src`));
    const files = roots
      .flatMap(sources)
      .filter((path) => path !== STORE && !EXEMPT.some((pattern) => pattern.test(path)));
    expect(files.length).toBeGreaterThan(50);
    const writes = files.flatMap((path) =>
      syncWritesIn(readFileSync(join(ROOT, path), 'utf8')).map((sql) => `${path}: ${sql}`),
    );
    expect(writes).toEqual([]);
    // The store itself does write them: the scan reads the right files.
    expect(syncWritesIn(readFileSync(join(ROOT, STORE), 'utf8')).length).toBeGreaterThan(5);
  });

  it('leaves the sync state out of ProjectEntity, so no repository call can write it', () => {
    const columns = getMetadataArgsStorage().columns.filter((c) => c.target === ProjectEntity);
    expect(columns.length).toBeGreaterThan(5);
    expect(columns.map((c) => String(c.options.name ?? c.propertyName)).filter((n) => n.startsWith('sync_'))).toEqual(
      [],
    );
  });
});
