import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/config';
import { FakeNotion, waitFor, type AppProcess } from '@app/testing';
import { bindNotionDatabase, type ApiCall, type BoundProject, type Json } from './jest/api-client.js';
import { testEnv } from './jest/test-env.js';
import { startThreeApps } from './jest/three-apps.js';

const prop = FakeNotion.prop;

/**
 * Typed values and the schema kept current by the pipeline (three built apps,
 * the fake Notion): the first full sync mirrors the schema and plain values;
 * a `data_source.schema_updated` webhook after a rename or a type change
 * brings the new schema (new version) and re-maps the values; a formula that
 * changed without an edit of its page (Notion sends no event for it) is
 * refreshed by a reconcile.
 */
describe('typed values through the pipeline (three apps, fake Notion)', () => {
  const notion = new FakeNotion();
  const env = testEnv();
  const config = loadConfig(env);
  const apps: AppProcess[] = [];
  let call: ApiCall;
  let p: BoundProject<Array<{ id: string; lastEditedTime: string }>>;

  const schema = async () => (await call('GET', `/projects/${p.id}/schema`)).body;
  const values = async (pageId: string) =>
    (await call('GET', `/projects/${p.id}/pages/${pageId}`)).body.values as Record<string, unknown>;
  const dataSourceEvent = (type: string) =>
    notion.sendWebhook({
      ...p.webhook,
      type,
      entity: { id: p.dataSourceIds[0]!, type: 'data_source' },
      data: { parent: { id: p.databaseId, type: 'database' } },
    });

  beforeAll(async () => {
    await notion.start();
    const started = await startThreeApps(config, notion.url);
    apps.push(...started.apps);
    call = started.call;
    p = await bindNotionDatabase(notion, call, ['Posts'], ([ds]) =>
      notion.addPages(ds!, 6, {
        title: (i) => `Post ${i}`,
        properties: (i) => ({
          Status: prop.select(['Draft', 'Published'][i % 2]!),
          Points: prop.number(i * 10),
          Calc: prop.formulaNumber(i),
          Due: prop.date(`2026-02-0${i + 1}`),
        }),
      }),
    );
    await waitFor(
      async () => {
        const { sync } = (await call('GET', `/projects/${p.id}`)).body;
        return sync.status === 'idle' && sync.pageCount === 6;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the first full sync' },
    );
  }, 90_000);

  afterAll(async () => {
    const exits = await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    await notion.stop();
    for (const exit of exits) expect(exit.code).toBe(0);
  }, 60_000);

  it('mirrors the schema and the plain values on the first full sync', async () => {
    const body = await schema();
    expect(body.version).toMatch(/^[1-9]\d*$/);
    const [source] = body.dataSources as Json[];
    expect(source!.id).toBe(p.dataSourceIds[0]);
    const status = (source!.properties as Json[]).find((x) => x.name === 'Status')!;
    expect(status).toMatchObject({ type: 'select', options: [{ name: 'Draft' }, { name: 'Published' }] });
    expect((source!.properties as Json[]).find((x) => x.name === 'Calc')).toMatchObject({
      type: 'formula',
      formula: { resultType: 'number' },
    });
    expect(await values(p.seeded[1]!.id)).toEqual({
      Name: 'Post 1',
      Status: 'Published',
      Points: 10,
      Calc: 1,
      Due: { start: '2026-02-02', end: null, timeZone: null },
    });
    const published = await call('POST', `/projects/${p.id}/pages/query`, {
      filter: { property: 'Status', select: { equals: 'Published' } },
      sorts: [{ property: 'Due', direction: 'descending' }],
    });
    expect(published.body.items.map((x: Json) => x.title)).toEqual(['Post 5', 'Post 3', 'Post 1']);
  });

  it('follows a rename and a type change announced by data_source.schema_updated', async () => {
    const before = (await schema()).version as string;
    const page = p.seeded[2]!;
    const versionBefore = (await call('GET', `/projects/${p.id}/pages/${page.id}`)).body.version as string;
    notion.renameProperty(p.dataSourceIds[0]!, 'Status', 'State');
    notion.changePropertyType(p.dataSourceIds[0]!, 'Points', 'rich_text');
    expect((await dataSourceEvent('data_source.schema_updated')).status).toBe(200);
    await waitFor(async () => BigInt((await schema()).version) > BigInt(before), {
      timeoutMs: 30_000,
      what: 'the new schema version',
    });
    await waitFor(async () => (await values(page.id))['State'] === 'Draft', { what: 'values under the new name' });
    const now = await values(page.id);
    expect(now['Status']).toBeUndefined();
    // Points is a rich text now, empty after the change: a plain string.
    expect(now['Points']).toBe('');
    expect((await call('GET', `/projects/${p.id}/pages/${page.id}`)).body.version).not.toBe(versionBefore);
    const refused = await call('POST', `/projects/${p.id}/pages/query`, {
      filter: { property: 'Points', number: { equals: 20 } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('filter.number');
  });

  it('refreshes a formula on the next reconcile, though its page was not edited', async () => {
    const page = p.seeded[4]!;
    expect((await values(page.id))['Calc']).toBe(4);
    // A related page changed the formula: Notion shows the new value, sends
    // no event for this page, and its last_edited_time stays.
    const stored = notion.getPage(page.id)!;
    notion.editPage(page.id, { properties: { Calc: prop.formulaNumber(40) } }, new Date(stored.lastEditedTime));
    expect(notion.getPage(page.id)!.lastEditedTime).toBe(stored.lastEditedTime);
    // A reconcile: what the scheduler runs, started here by an event that asks for one.
    expect((await dataSourceEvent('data_source.content_updated')).status).toBe(200);
    await waitFor(async () => (await values(page.id))['Calc'] === 40, {
      timeoutMs: 30_000,
      what: 'the refreshed formula',
    });
  });
});
