/**
 * Makes the fake Notion server (libs/testing/src/fake-notion, TypeScript) loadable
 * from plain .mjs scripts: its files import only Node built-ins and
 * @notionhq/client, so each is transpiled on its own (no type check) into `outDir`.
 * Used by `npm run fake-notion` and the benchmarks, each with a folder of its own.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const SOURCE = fileURLToPath(new URL('../libs/testing/src/fake-notion', import.meta.url));

/** Writes only changed files, each by rename, so a second instance (or a spec) never imports a half-written one. */
function writeAtomically(path, text) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** Transpiles the fake into `outDir`; returns `load(file)`, which imports one of its modules. */
export function transpileFakeNotion(outDir) {
  mkdirSync(outDir, { recursive: true });
  // Node stops looking for package.json at node_modules/: without this the output would load as CommonJS.
  writeAtomically(join(outDir, 'package.json'), '{ "type": "module" }\n');
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
    writeAtomically(join(outDir, file.replace(/\.ts$/, '.js')), outputText);
  }
  return (file) => import(pathToFileURL(join(outDir, file)).href);
}
