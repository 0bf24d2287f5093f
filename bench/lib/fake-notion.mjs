/**
 * Loads the fake Notion server (libs/testing/src/fake-notion, TypeScript) into
 * a plain .mjs script the way scripts/fake-notion.mjs does: its files import
 * only Node built-ins and @notionhq/client, so each is transpiled on its own
 * (no type check) into node_modules/.cache and imported from there.
 */
import { join } from 'node:path';
import { transpileFakeNotion } from '../../scripts/transpile-fake-notion.mjs';
import { REPO_ROOT } from './stack.mjs';

// Its own folder: scripts/fake-notion.mjs may be writing its copy at the same time.
const OUT = join(REPO_ROOT, 'node_modules/.cache/notion-sync-bench-fake-notion');

/** The `FakeNotion` class. */
export async function loadFakeNotion() {
  const { FakeNotion } = await transpileFakeNotion(OUT)('fake-notion.js');
  return FakeNotion;
}
