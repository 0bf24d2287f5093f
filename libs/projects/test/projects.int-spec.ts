import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ConfigModule, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import {
  ProjectNotFoundError,
  ProjectsModule,
  ProjectsService,
  ProjectSyncStore,
  SecretUnreadableError,
} from '@app/projects';
import { testConfig } from '../../../test/jest/test-env.js';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

async function moduleWith(config: AppConfig): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot('projects-int-spec'), ProjectsModule],
  }).compile();
}

/** The projects service on the real database: secrets at rest, owner scoping. */
describe('ProjectsService', () => {
  let oldKeyModule: TestingModule;
  let rotatedModule: TestingModule;
  let service: ProjectsService;
  let rotated: ProjectsService;
  let db: DataSource;

  beforeAll(async () => {
    oldKeyModule = await moduleWith(testConfig({ ENCRYPTION_KEYS: `k1:${key(1)}` }));
    rotatedModule = await moduleWith(testConfig({ ENCRYPTION_KEYS: `k2:${key(2)},k1:${key(1)}` }));
    service = oldKeyModule.get(ProjectsService);
    rotated = rotatedModule.get(ProjectsService);
    db = oldKeyModule.get(DataSource);
  });

  afterAll(async () => {
    // Gateways of later suites lack k1 and k2, and refuse to start while a stored secret is sealed under them.
    await db?.query(
      `DELETE FROM projects WHERE notion_token_key_id IN ('k1', 'k2') OR webhook_token_key_id IN ('k1', 'k2')`,
    );
    await oldKeyModule?.close();
    await rotatedModule?.close();
  });

  const create = (svc: ProjectsService, owner: string, token = 'secret_token_1') =>
    svc.create(owner, { name: 'p', notionDatabaseId: randomUUID(), notionToken: token });

  it('reads back the token it stored encrypted', async () => {
    const owner = randomUUID();
    const project = await create(service, owner, 'secret_readable');
    expect(await service.revealNotionToken(owner, project.id)).toBe('secret_readable');
    const [row] = await db.query('SELECT notion_token_ciphertext FROM projects WHERE id = $1', [project.id]);
    expect((row.notion_token_ciphertext as Buffer).includes(Buffer.from('secret_readable'))).toBe(false);
  });

  it('still reads tokens sealed under an older key after a rotation, and seals new ones under the new key', async () => {
    const owner = randomUUID();
    const before = await create(service, owner, 'secret_before_rotation');
    expect(await rotated.revealNotionToken(owner, before.id)).toBe('secret_before_rotation');
    const after = await create(rotated, owner, 'secret_after_rotation');
    const [row] = await db.query('SELECT notion_token_key_id FROM projects WHERE id = $1', [after.id]);
    expect(row.notion_token_key_id).toBe('k2');
  });

  it('does not decrypt a ciphertext copied to another row', async () => {
    const owner = randomUUID();
    const a = await create(service, owner, 'secret_of_a');
    const b = await create(service, owner, 'secret_of_b');
    await db.query(
      `UPDATE projects SET notion_token_ciphertext = (SELECT notion_token_ciphertext FROM projects WHERE id = $1) WHERE id = $2`,
      [a.id, b.id],
    );
    await expect(service.revealNotionToken(owner, b.id)).rejects.toBeInstanceOf(SecretUnreadableError);
  });

  it('verifies the webhook only with the token that signed the event, not one a later handshake replaced', async () => {
    const owner = randomUUID();
    const project = await create(service, owner);
    await service.acceptHandshake(project.id, 'secret_first');
    const first = (await service.webhookCredentials(project.id))!;
    await service.acceptHandshake(project.id, 'secret_second');
    await service.markWebhookVerifiedBySignedEvent(project.id, first.tokenVersion!);
    expect((await service.webhookSetup(owner, project.id)).status).toBe('awaiting_verification');
    const second = (await service.webhookCredentials(project.id))!;
    expect(second.verificationToken).toBe('secret_second');
    await service.markWebhookVerifiedBySignedEvent(project.id, second.tokenVersion!);
    expect((await service.webhookSetup(owner, project.id)).status).toBe('verified');
  });

  it('scopes every operation to the owner', async () => {
    const project = await create(service, 'owner-a');
    await expect(service.get('owner-b', project.id)).rejects.toBeInstanceOf(ProjectNotFoundError);
    await expect(service.revealNotionToken('owner-b', project.id)).rejects.toBeInstanceOf(ProjectNotFoundError);
    await expect(service.update('owner-b', project.id, { name: 'x' })).rejects.toBeInstanceOf(ProjectNotFoundError);
    await expect(service.remove('owner-b', project.id)).rejects.toBeInstanceOf(ProjectNotFoundError);
    expect((await service.get('owner-a', project.id)).name).toBe('p');
  });

  it('keeps a sync request pending until it is enqueued, and a newer request pending after that', async () => {
    const store = oldKeyModule.get(ProjectSyncStore);
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
    await service.requestSync(owner, project.id);
    const second = await store.pendingRequest(project.id);
    expect(second!.requestedAt > first!.requestedAt).toBe(true);
    // Enqueuing the older request again does not swallow the newer one.
    await store.markEnqueued(first!);
    expect(await store.pendingRequest(project.id)).toEqual(second);
  });
});
