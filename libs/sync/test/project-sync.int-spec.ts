import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ProjectNotFoundError, ProjectsModule, ProjectsService, type UpdateProjectInput } from '@app/projects';
import { ProjectSyncStore, SyncStateModule, type ProjectSyncView } from '@app/sync';
import { testConfig } from '../../../test/jest/test-env.js';

/**
 * A project's sync state on the real database: requests, runs, failures and
 * what the projects API shows of them. Projects are created through
 * `ProjectsService`, as the gateway does, so their sync state is born with them.
 */
describe('ProjectSyncStore', () => {
  let moduleRef: TestingModule;
  let service: ProjectsService;
  let store: ProjectSyncStore;
  let db: DataSource;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(testConfig()),
        DatabaseModule.forRoot('sync-int-spec'),
        SyncStateModule,
        ProjectsModule,
      ],
    }).compile();
    service = moduleRef.get(ProjectsService);
    store = moduleRef.get(ProjectSyncStore);
    db = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  const create = async (svc: ProjectsService, owner: string) =>
    (await svc.create(owner, { name: 'p', notionDatabaseId: randomUUID(), notionToken: 'secret_token_1' })).project;
  /** What the projects API shows as `sync`. */
  const syncOf = async (projectId: string): Promise<ProjectSyncView> =>
    (await store.views([projectId])).get(projectId)!;
  /** As `POST /projects/:id/sync` does. */
  const requestSync = async (projectId: string): Promise<ProjectSyncView> => {
    await store.requestFullSync(projectId);
    return syncOf(projectId);
  };
  /** As `PATCH /projects/:id` does. */
  const updated = async (owner: string, projectId: string, input: UpdateProjectInput): Promise<ProjectSyncView> =>
    syncOf((await service.update(owner, projectId, input)).id);

  it('keeps a sync request pending until it is enqueued, and a newer request pending after that', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    // Creating the project requested its first full sync (microsecond timestamp).
    const first = await store.pendingRequest(project.id);
    expect(first?.requestedAt).toMatch(/\.\d{6}Z$/);
    await store.markEnqueued(first!);
    expect(await store.pendingRequest(project.id)).toBeUndefined();
    expect((await store.pendingRequests(new Date(Date.now() + 60_000), 1000)).map((r) => r.projectId)).not.toContain(
      project.id,
    );
    await store.requestFullSync(project.id);
    const second = await store.pendingRequest(project.id);
    expect(second!.requestedAt > first!.requestedAt).toBe(true);
    // Enqueuing the older request again does not swallow the newer one.
    await store.markEnqueued(first!);
    expect(await store.pendingRequest(project.id)).toEqual(second);
  });

  it('says what the sync is doing: queued until a full sync begins, syncing, then idle; queued again on a request', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    const sync = async () => await syncOf(project.id);
    // Created: its first import is asked for, not done.
    expect(await syncOf(project.id)).toEqual({
      status: 'queued',
      lastSyncedAt: null,
      pageCount: 0,
      lastError: null,
      contentPending: 0,
      contentError: null,
    });

    await store.beginFullSync(project.id);
    expect((await sync()).status).toBe('syncing');
    // A request while it runs: the run owns the status; the follow-up is queued once it ends.
    expect((await requestSync(project.id)).status).toBe('syncing');
    await store.completed(project.id, new Date(), true);
    expect(await sync()).toMatchObject({ status: 'queued', lastSyncedAt: expect.any(Date) });
    // An incremental sync that completes meanwhile is not the requested run.
    await store.completed(project.id, new Date(), false);
    expect((await sync()).status).toBe('queued');

    // The follow-up of an empty database: idle with no page.
    await store.beginFullSync(project.id);
    await store.completed(project.id, new Date(), true);
    expect(await sync()).toMatchObject({
      status: 'idle',
      pageCount: 0,
      lastError: null,
      lastSyncedAt: expect.any(Date),
    });
    // A rename asks for nothing; POST .../sync and a new token answer queued at once.
    expect((await updated(owner, project.id, { name: 'renamed' })).status).toBe('idle');
    expect((await requestSync(project.id)).status).toBe('queued');
    await store.beginFullSync(project.id);
    await store.completed(project.id, new Date(), true);
    expect((await updated(owner, project.id, { notionToken: 'secret_token_3' })).status).toBe('queued');

    // A failed run says error until the next request, which keeps the reason until a run succeeds.
    await store.beginFullSync(project.id);
    await store.failed(project.id, 'The database is not shared with the integration');
    expect(await sync()).toMatchObject({
      status: 'error',
      lastError: 'The database is not shared with the integration',
    });
    expect(await requestSync(project.id)).toMatchObject({
      status: 'queued',
      lastError: 'The database is not shared with the integration',
    });
    await store.beginFullSync(project.id);
    await store.completed(project.id, new Date(), true);
    expect(await sync()).toMatchObject({ status: 'idle', lastError: null });
  });

  it('says error, not queued, when a full sync failed for good after the request, begun or not; a newer request is queued', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    const sync = async () => await syncOf(project.id);
    // The first import's job fails before its run began (its lock connection refused).
    await store.fullSyncFailed(project.id, 'connect ECONNREFUSED');
    expect(await sync()).toMatchObject({ status: 'error', lastError: 'connect ECONNREFUSED' });
    expect(await requestSync(project.id)).toMatchObject({
      status: 'queued',
      lastError: 'connect ECONNREFUSED',
    });

    // Another job's failure answers no request: the requested full sync is still to come.
    await store.failed(project.id, 'The database is not shared with the integration');
    expect((await sync()).status).toBe('queued');

    // A run that began and failed: error, as before; a request while it ran too (its
    // follow-up reads syncing once it begins).
    await store.beginFullSync(project.id);
    await store.requestFullSync(project.id);
    await store.fullSyncFailed(project.id, 'Notion failed to answer');
    expect(await sync()).toMatchObject({ status: 'error', lastError: 'Notion failed to answer' });
    await store.beginFullSync(project.id);
    expect((await sync()).status).toBe('syncing');
    await store.completed(project.id, new Date(), true);
    expect(await sync()).toMatchObject({ status: 'idle', lastError: null });
  });

  it('asks a full sync that finds the lock taken whether a request came after the latest start', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    expect(await store.requestedSinceStart(project.id)).toBe(true);
    await store.beginFullSync(project.id);
    expect(await store.requestedSinceStart(project.id)).toBe(false);
    await store.requestFullSync(project.id);
    expect(await store.requestedSinceStart(project.id)).toBe(true);
    // A failure answers the request for the API, not for a run that never saw it.
    await store.fullSyncFailed(project.id, 'x');
    expect((await syncOf(project.id)).status).toBe('error');
    expect(await store.requestedSinceStart(project.id)).toBe(true);
    expect(await store.requestedSinceStart(randomUUID())).toBe(false);
  });

  it('compares request and start to the microsecond (a JS Date would drop them)', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    const startAt = (offset: string) =>
      db.query(`UPDATE project_sync SET started_at = requested_at + $2::interval WHERE project_id = $1`, [
        project.id,
        offset,
      ]);
    await startAt('-1 microsecond');
    expect((await syncOf(project.id)).status).toBe('queued');
    await startAt('0');
    expect((await syncOf(project.id)).status).toBe('idle');
  });

  it('requests a full sync with a new token, in the same transaction, and not for a rename or a stranger', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    await store.markEnqueued((await store.pendingRequest(project.id))!);

    await service.update(owner, project.id, { name: 'renamed' });
    await expect(service.update('someone-else', project.id, { notionToken: 'secret_token_x' })).rejects.toBeInstanceOf(
      ProjectNotFoundError,
    );
    expect(await store.pendingRequest(project.id)).toBeUndefined();

    const view = await service.update(owner, project.id, { notionToken: 'secret_token_2' });
    expect(view.name).toBe('renamed');
    expect(await store.pendingRequest(project.id)).toBeDefined();
    expect(await service.revealNotionToken(owner, project.id)).toBe('secret_token_2');
  });
});
