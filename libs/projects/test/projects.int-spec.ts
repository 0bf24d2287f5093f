import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ConfigModule, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { SyncStateModule } from '@app/sync';
import {
  ProjectNotFoundError,
  ProjectQuotaExceededError,
  ProjectsModule,
  ProjectsService,
  SecretBox,
  SecretUnreadableError,
  WEBHOOK_HANDSHAKES_PER_MINUTE,
  WebhookAlreadyVerifiedError,
  WebhookHandshakeLimitedError,
} from '@app/projects';
import { testConfig } from '../../../test/jest/test-env.js';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

async function moduleWith(config: AppConfig): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot('projects-int-spec'),
      SyncStateModule,
      ProjectsModule,
    ],
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

  const createWithKey = (svc: ProjectsService, owner: string, token = 'secret_token_1') =>
    svc.create(owner, { name: 'p', notionDatabaseId: randomUUID(), notionToken: token });
  const create = async (svc: ProjectsService, owner: string, token?: string) =>
    (await createWithKey(svc, owner, token)).project;

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

  it("keeps a project's Notion binding for sync jobs, exact across a new token, a re-seal and a deletion", async () => {
    const owner = randomUUID();
    const project = await create(service, owner, 'secret_first');
    const opens = jest.spyOn(oldKeyModule.get(SecretBox), 'open');
    try {
      const first = await service.notionBindingNow(project.id);
      expect(first?.binding).toEqual({
        notionDatabaseId: project.notionDatabaseId,
        notionToken: 'secret_first',
        syncContent: true,
      });
      const again = await service.notionBindingNow(project.id);
      expect(again?.binding.notionToken).toBe('secret_first');
      // The database clock, read on every call.
      expect(again!.clock.getTime()).toBeGreaterThanOrEqual(first!.clock.getTime());
      expect(opens).toHaveBeenCalledTimes(1);

      // A new token: the cache is never told (another replica may have made the change).
      await service.update(owner, project.id, { notionToken: 'secret_second' });
      expect((await service.notionBindingNow(project.id))?.binding.notionToken).toBe('secret_second');
      expect(opens).toHaveBeenCalledTimes(2);
      // Re-sealed with the same token (a key rotation): read again, same token.
      await db.query(`UPDATE projects SET notion_token_ciphertext = $2, notion_token_key_id = 'k1' WHERE id = $1`, [
        project.id,
        oldKeyModule.get(SecretBox).seal('secret_second', { projectId: project.id, purpose: 'notion-token' })
          .ciphertext,
      ]);
      expect((await service.notionBindingNow(project.id))?.binding.notionToken).toBe('secret_second');
      expect(opens).toHaveBeenCalledTimes(3);

      await service.remove(owner, project.id);
      expect(await service.notionBindingNow(project.id)).toBeUndefined();
    } finally {
      opens.mockRestore();
    }
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
    const { project, webhookKey } = await createWithKey(service, owner);
    await service.acceptHandshake(project.id, 'secret_first');
    const first = (await service.webhookCredentials(webhookKey))!;
    await service.acceptHandshake(project.id, 'secret_second');
    await service.markWebhookVerifiedBySignedEvent(project.id, first.tokenVersion!);
    expect((await service.webhookSetup(owner, project.id)).status).toBe('awaiting_verification');
    const second = (await service.webhookCredentials(webhookKey))!;
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

  describe('webhook keys', () => {
    it('finds a webhook by its key alone, stores the key sealed and hashed, and a reset replaces it', async () => {
      const owner = randomUUID();
      const { project, webhookKey } = await createWithKey(service, owner);
      expect(webhookKey).toMatch(/^whk_[A-Za-z0-9_-]{32}$/);
      expect((await service.webhookCredentials(webhookKey))?.projectId).toBe(project.id);
      const [row] = await db.query('SELECT webhook_key_ciphertext, webhook_key_hash FROM projects WHERE id = $1', [
        project.id,
      ]);
      expect((row.webhook_key_ciphertext as Buffer).includes(Buffer.from(webhookKey))).toBe(false);
      expect((row.webhook_key_hash as Buffer).length).toBe(32);
      // The owner reads it back; a rotated key ring still opens it.
      expect((await service.webhookSetup(owner, project.id)).key).toBe(webhookKey);
      expect((await rotated.webhookSetup(owner, project.id)).key).toBe(webhookKey);

      await service.resetWebhook(owner, project.id);
      expect(await service.webhookCredentials(webhookKey)).toBeUndefined();
      const renewed = (await service.webhookSetup(owner, project.id)).key!;
      expect(renewed).not.toBe(webhookKey);
      expect((await service.webhookCredentials(renewed))?.projectId).toBe(project.id);
      // Neither the project id nor a well-formed stranger key finds anything.
      expect(await service.webhookCredentials(project.id)).toBeUndefined();
      expect(await service.webhookCredentials(`whk_${'A'.repeat(32)}`)).toBeUndefined();
    });

    it('gives a project from before secret URLs one key, once, when its owner first reads the webhook', async () => {
      const owner = randomUUID();
      const { project } = await createWithKey(service, owner);
      await db.query(
        'UPDATE projects SET webhook_key_ciphertext = NULL, webhook_key_key_id = NULL, webhook_key_hash = NULL WHERE id = $1',
        [project.id],
      );
      const reads = await Promise.all([1, 2, 3].map(() => service.webhookSetup(owner, project.id)));
      expect(new Set(reads.map((r) => r.key)).size).toBe(1);
      expect((await service.webhookCredentials(reads[0]!.key!))?.projectId).toBe(project.id);
    });

    it('serves the legacy URL only to webhooks verified before secret URLs, until a reset', async () => {
      const owner = randomUUID();
      const { project } = await createWithKey(service, owner);
      expect(await service.legacyWebhookCredentials(project.id)).toBeUndefined();
      await db.query(`UPDATE projects SET webhook_legacy_url = true, webhook_status = 'verified' WHERE id = $1`, [
        project.id,
      ]);
      expect(await service.legacyWebhookCredentials(project.id)).toMatchObject({ projectId: project.id, legacy: true });
      expect(await service.webhookSetup(owner, project.id)).toMatchObject({ key: null, legacy: true });
      await service.resetWebhook(owner, project.id);
      expect(await service.legacyWebhookCredentials(project.id)).toBeUndefined();
      expect(await service.webhookSetup(owner, project.id)).toMatchObject({ legacy: false, key: expect.any(String) });
    });

    it('takes a few handshakes a minute, then refuses with the time to wait; never once verified', async () => {
      const owner = randomUUID();
      const project = await create(service, owner);
      for (let i = 0; i < WEBHOOK_HANDSHAKES_PER_MINUTE; i++) await service.acceptHandshake(project.id, `secret_${i}`);
      const limited = await service.acceptHandshake(project.id, 'secret_more').catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(WebhookHandshakeLimitedError);
      expect((limited as WebhookHandshakeLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect((await service.webhookSetup(owner, project.id)).verificationToken).toBe(
        `secret_${WEBHOOK_HANDSHAKES_PER_MINUTE - 1}`,
      );
      // A minute later the window is open again.
      await db.query(`UPDATE projects SET webhook_handshake_window_at = now() - interval '61 seconds' WHERE id = $1`, [
        project.id,
      ]);
      await service.acceptHandshake(project.id, 'secret_later');
      await service.confirmWebhook(owner, project.id);
      await expect(service.acceptHandshake(project.id, 'secret_late')).rejects.toBeInstanceOf(
        WebhookAlreadyVerifiedError,
      );
    });
  });

  it('refuses a project past the per-user limit, even when creates race for the last place', async () => {
    const limited = await moduleWith(testConfig({ ENCRYPTION_KEYS: `k1:${key(1)}`, PROJECTS_PER_USER_LIMIT: '3' }));
    try {
      const svc = limited.get(ProjectsService);
      const owner = randomUUID();
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => create(svc, owner)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ProjectQuotaExceededError);
      }
      // Another user is not affected; a deletion frees a place.
      await create(svc, randomUUID());
      const [first] = (await svc.list(owner, 1)).items;
      await svc.remove(owner, first!.id);
      await create(svc, owner);
    } finally {
      await limited.close();
    }
  });
});
