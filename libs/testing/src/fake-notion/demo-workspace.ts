import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { FakeNotion } from './fake-notion.js';
import type { HostedFile } from './hosted-files.js';
import type { FakeBlockInput } from './page-content.js';
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
 * A valid PNG of one color (8-bit RGB, no interlace), made here so the demo
 * needs no binary file: signature, IHDR, one zlib-compressed IDAT of rows
 * (each led by filter byte 0), IEND; every chunk with its CRC-32.
 */
export function solidPng(width: number, height: number, [r, g, b]: readonly [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, color type RGB, deflate, adaptive filters, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Seeds the demo workspace: database "Demo tasks" with data sources "Tasks" (16
 * pages) and "Archive" (4), pages with Status, Priority, Done, Due, Notes and
 * Related properties, created over the past days, shared with `token`. Three
 * tasks have a body (headings, lists, paragraphs; "Review the pricing page" an
 * image hosted by the fake, also its icon).
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
  const bodies = demoBodies(fake);
  const add = (dataSourceId: string, title: string, i: number, properties: Record<string, FakePropertyValue>) => {
    const at = new Date(now.getTime() - (40 - i) * 7 * hour);
    const { body, icon } = bodies.get(title) ?? {};
    pageIds.push(fake.addPage(dataSourceId, title, { id: stableId(title), at, properties, body, icon }).id);
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

/** The demo tasks with a body, by title. */
function demoBodies(fake: FakeNotion): Map<string, { body: FakeBlockInput[]; icon?: { hosted: HostedFile } }> {
  const mockup = fake.hostFile('pricing-mockup.png', solidPng(64, 40, [66, 133, 244]));
  return new Map([
    [
      TASKS[0]!,
      {
        body: [
          { type: 'heading_1', text: 'Onboarding guide' },
          'What a new teammate needs in their first week, in the order they need it.',
          { type: 'heading_2', text: 'First day' },
          { type: 'numbered_list_item', text: 'Get a laptop and accounts from IT' },
          { type: 'numbered_list_item', text: 'Read the architecture overview' },
          { type: 'numbered_list_item', text: 'Pair on a small fix' },
          { type: 'heading_2', text: 'Checklist' },
          { type: 'to_do', text: 'Write the welcome email', checked: true },
          { type: 'to_do', text: 'Record the setup video' },
        ],
      },
    ],
    [
      TASKS[1]!,
      {
        body: [
          { type: 'heading_2', text: 'Symptom' },
          'After signing in from a deep link, users land on the home page instead of the page they asked for.',
          { type: 'heading_2', text: 'Causes to check' },
          { type: 'bulleted_list_item', text: 'The return URL is dropped by the login form' },
          { type: 'bulleted_list_item', text: 'The session cookie is set after the redirect' },
          { type: 'quote', text: 'Fix the cause, not the symptom.' },
        ],
      },
    ],
    [
      TASKS[3]!,
      {
        icon: { hosted: mockup },
        body: [
          { type: 'heading_1', text: 'Pricing page review' },
          'The mockup below is the version marketing approved; compare it with what is live.',
          { type: 'image', file: mockup, caption: 'Approved mockup' },
          { type: 'heading_3', text: 'Open questions' },
          { type: 'bulleted_list_item', text: 'Show yearly prices first?' },
        ],
      },
    ],
  ]);
}
