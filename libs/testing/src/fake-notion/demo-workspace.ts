import { createHash } from 'node:crypto';
import type { FakeNotion } from './fake-notion.js';
import { prop, type FakePropertyValue } from './property-values.js';

/** The standalone server's integration token unless `FAKE_NOTION_TOKEN` says otherwise. */
export const DEMO_TOKEN = 'secret_demo_notion_token';

/** Fixed, so a project bound to the demo database keeps working across restarts of the fake. */
export const DEMO_DATABASE_ID = '0d3e5a1c-7b2f-4c69-9a8e-5f1d2c3b4a50';
export const DEMO_DATA_SOURCE_IDS = ['0d3e5a1c-7b2f-4c69-9a8e-5f1d2c3b4a51', '0d3e5a1c-7b2f-4c69-9a8e-5f1d2c3b4a52'];

const STATUSES = ['Not started', 'In progress', 'Done'] as const;
const TASKS = [
  'Write the onboarding guide',
  'Fix the login redirect',
  'Plan the Q3 roadmap',
  'Review the pricing page',
  'Migrate the billing webhooks',
  'Interview backend candidates',
  'Update the status page',
  'Triage support tickets',
  'Draft the release notes',
  'Benchmark the search index',
  'Rotate the API keys',
  'Clean up feature flags',
  'Prepare the board deck',
  'Audit database indexes',
  'Localize the mobile app',
  'Archive old projects',
];
const ARCHIVED = ['Launch the beta', 'Hire a designer', 'Set up CI', 'Choose a logo'];

/** A page id derived from its position, stable across restarts. */
const stableId = (key: string) => {
  const hex = createHash('sha256').update(`notion-sync-demo:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export interface DemoWorkspace {
  readonly databaseId: string;
  readonly dataSourceIds: string[];
  readonly token: string;
  readonly pageIds: string[];
}

/**
 * Seeds the demo workspace: database "Demo tasks" with data sources "Tasks" (16
 * pages) and "Archive" (4), pages with Status, Priority, Done, Due, Notes and
 * Related properties, created over the past days, shared with `token`.
 */
export function seedDemoWorkspace(fake: FakeNotion, token = DEMO_TOKEN, now = new Date()): DemoWorkspace {
  const { databaseId, dataSourceIds } = fake.addDatabase('Demo tasks', ['Tasks', 'Archive'], {
    id: DEMO_DATABASE_ID,
    dataSourceIds: DEMO_DATA_SOURCE_IDS,
  });
  fake.share(token, databaseId);
  const [tasks, archive] = dataSourceIds as [string, string];
  const hour = 3_600_000;
  const pageIds: string[] = [];
  const add = (dataSourceId: string, title: string, i: number, properties: Record<string, FakePropertyValue>) => {
    const at = new Date(now.getTime() - (40 - i) * 7 * hour);
    pageIds.push(fake.addPage(dataSourceId, title, { id: stableId(title), at, properties }).id);
  };
  TASKS.forEach((title, i) => {
    const status = STATUSES[i % STATUSES.length]!;
    add(tasks, title, i, {
      Status: prop.select(status, status === 'Done' ? 'green' : status === 'In progress' ? 'blue' : 'gray'),
      Priority: prop.number((i % 3) + 1),
      Done: prop.checkbox(status === 'Done'),
      Due: prop.date(new Date(now.getTime() + (i - 4) * 24 * hour).toISOString().slice(0, 10)),
      Notes: prop.richText(`Demo task ${i + 1}: ${title.toLowerCase()}.`),
      // Every fourth task relates to the two before it.
      Related: prop.relation(i % 4 === 3 ? [stableId(TASKS[i - 1]!), stableId(TASKS[i - 2]!)] : []),
    });
  });
  ARCHIVED.forEach((title, i) =>
    add(archive, title, i, {
      Status: prop.select('Done', 'green'),
      Priority: prop.number(3),
      Done: prop.checkbox(true),
      Notes: prop.richText('Archived.'),
    }),
  );
  return { databaseId, dataSourceIds, token, pageIds };
}
