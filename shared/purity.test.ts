// The pure core imports no I/O: shared/merkle, codecs, domain, checkpoint and invoice must load in
// a browser verifier and stay deterministic. Node-only entry points (a package.json
// export whose name starts with "./node-") may use node:crypto and nothing else of Node.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packages = ['merkle', 'codecs', 'domain', 'checkpoint', 'invoice'];
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function nodeOnlyEntries(packageDir: string): Set<string> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports?: Record<string, string> };
  return new Set(
    Object.entries(manifest.exports ?? {})
      .filter(([name]) => name.startsWith('./node-'))
      .map(([, target]) => join(packageDir, target)),
  );
}

describe.each(packages)('shared/%s', (name) => {
  const packageDir = new URL(`./${name}/`, import.meta.url).pathname;

  it('imports no Node built-in module outside its node-only entry points', () => {
    const nodeOnly = nodeOnlyEntries(packageDir);
    const offending: string[] = [];
    const files = sourceFiles(join(packageDir, 'src'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
        const specifier = (match[1] ?? match[2]) as string;
        if (!builtins.has(specifier)) continue;
        if (nodeOnly.has(file) && specifier === 'node:crypto') continue;
        offending.push(`${file.slice(packageDir.length)} imports ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
