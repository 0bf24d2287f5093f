/**
 * Loads the fake Notion server (libs/testing/src/fake-notion, TypeScript) into
 * a plain .mjs script the way scripts/fake-notion.mjs does: its files import
 * only Node built-ins and @notionhq/client, so each is transpiled on its own
 * (no type check) into node_modules/.cache and imported from there.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { REPO_ROOT } from './stack.mjs';

const SOURCE = join(REPO_ROOT, 'libs/testing/src/fake-notion');
// Its own folder: scripts/fake-notion.mjs may be writing its copy at the same time.
const OUT = join(REPO_ROOT, 'node_modules/.cache/notion-sync-bench-fake-notion');

function writeAtomically(path, text) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** The `FakeNotion` class. */
export async function loadFakeNotion() {
  mkdirSync(OUT, { recursive: true });
  writeAtomically(join(OUT, 'package.json'), '{ "type": "module" }\n');
  for (const file of readdirSync(SOURCE)) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const { outputText } = ts.transpileModule(readFileSync(join(SOURCE, file), 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        useDefineForClassFields: false,
        isolatedModules: true,
      },
    });
    writeAtomically(join(OUT, file.replace(/\.ts$/, '.js')), outputText);
  }
  const { FakeNotion } = await import(pathToFileURL(join(OUT, 'fake-notion.js')).href);
  return FakeNotion;
}
