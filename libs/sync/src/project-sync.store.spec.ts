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

/** SQL that writes a `sync_*` column of `projects` (an UPDATE naming one, or an INSERT listing one). */
const SYNC_WRITES = [
  /\bUPDATE\s+projects\b[^`;]*?\bsync_[a-z_]+\s*=(?!=)/gis,
  /\bINSERT\s+INTO\s+projects\b[^`;]*?\bsync_[a-z_]+/gis,
];

function syncWritesIn(text: string): string[] {
  return SYNC_WRITES.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[0].replace(/\s+/g, ' ')));
}

/**
 * Sync state changes only through ProjectSyncStore, so it can move to a table
 * of its own without a hunt through the code base.
 */
describe('sync state is written only by ProjectSyncStore', () => {
  it('finds the writes it looks for (the patterns are not blind)', () => {
    expect(syncWritesIn('`UPDATE projects SET sync_page_count = 3 WHERE id = $1`')).toHaveLength(1);
    expect(syncWritesIn("`UPDATE projects\n SET name = 'x', sync_requested_at = now()`")).toHaveLength(1);
    expect(syncWritesIn('`INSERT INTO projects (id, sync_requested_at) VALUES ($1, NULL)`')).toHaveLength(1);
    expect(syncWritesIn('`UPDATE sync_failures SET retried_at = $2 WHERE id = $1`')).toEqual([]);
    expect(syncWritesIn('`SELECT sync_status FROM projects WHERE id = $1`')).toEqual([]);
  });

  it('has no SQL outside the store that writes a sync_* column of projects', () => {
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
