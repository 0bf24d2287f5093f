import { describe, expect, it } from '@jest/globals';
import { WebhookStatus, type ProjectsService, type WebhookCredentials } from '@app/projects';
import { MAX_CACHED_WEBHOOKS, WebhookCredentialsCache } from './webhook-credentials.cache.js';

const PROJECT = '0b9d6f1e-3c2a-4e5b-8d7f-1a2b3c4d5e6f';

/** A ProjectsService that knows the webhooks in `known` and counts its reads. */
function projectsKnowing(known: (key: string) => boolean) {
  const reads: string[] = [];
  const credentials = (key: string, legacy: boolean): WebhookCredentials | undefined =>
    known(key)
      ? { projectId: PROJECT, status: WebhookStatus.Verified, legacy, verificationToken: `t-${key}` }
      : undefined;
  const projects = {
    webhookCredentials: async (key: string) => (reads.push(key), credentials(key, false)),
    legacyWebhookCredentials: async (id: string) => (reads.push(id), credentials(id, true)),
  } as unknown as ProjectsService;
  return { projects, reads };
}

describe('WebhookCredentialsCache', () => {
  it('reads a webhook once, then serves it from memory until told otherwise', async () => {
    const { projects, reads } = projectsKnowing(() => true);
    const cache = new WebhookCredentialsCache(projects);
    expect(await cache.find('whk_a')).toMatchObject({ key: 'whk_a', cached: false, credentials: { legacy: false } });
    expect(await cache.find('whk_a')).toMatchObject({ cached: true, credentials: { verificationToken: 't-whk_a' } });
    expect(await cache.find(PROJECT)).toMatchObject({ cached: false, credentials: { legacy: true } });
    expect(reads).toEqual(['whk_a', PROJECT]);
    expect((await cache.reread('whk_a'))?.cached).toBe(false);
    cache.forget('whk_a');
    expect((await cache.find('whk_a'))?.cached).toBe(false);
    expect(reads).toEqual(['whk_a', PROJECT, 'whk_a', 'whk_a']);
  });

  it('never keeps a URL that leads nowhere, and drops one that stopped leading anywhere', async () => {
    let exists = true;
    const { projects, reads } = projectsKnowing(() => exists);
    const cache = new WebhookCredentialsCache(projects);
    await cache.find('whk_gone');
    exists = false;
    expect(await cache.reread('whk_gone')).toBeUndefined();
    for (let i = 0; i < 100; i++) expect(await cache.find(`whk_${i}`)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(reads).toHaveLength(102);
  });

  it('is bounded: past the limit the least recently used webhook goes first', async () => {
    const { projects } = projectsKnowing(() => true);
    const cache = new WebhookCredentialsCache(projects);
    for (let i = 0; i < MAX_CACHED_WEBHOOKS; i++) await cache.find(`whk_${i}`);
    await cache.find('whk_0'); // used again: now the most recent
    await cache.find('whk_new');
    expect(cache.size).toBe(MAX_CACHED_WEBHOOKS);
    expect(cache.has('whk_0')).toBe(true);
    expect(cache.has('whk_1')).toBe(false);
    expect(cache.has('whk_new')).toBe(true);
  });

  it('marks a kept webhook verified, unless the entry changed meanwhile', async () => {
    const projects = {
      webhookCredentials: async () => ({
        projectId: PROJECT,
        status: WebhookStatus.AwaitingVerification,
        legacy: false,
      }),
    } as unknown as ProjectsService;
    const cache = new WebhookCredentialsCache(projects);
    const stale = (await cache.find('whk_a'))!;
    await cache.reread('whk_a');
    cache.verified(stale);
    expect((await cache.find('whk_a'))!.credentials.status).toBe(WebhookStatus.AwaitingVerification);
    cache.verified((await cache.find('whk_a'))!);
    expect((await cache.find('whk_a'))!.credentials.status).toBe(WebhookStatus.Verified);
  });
});
