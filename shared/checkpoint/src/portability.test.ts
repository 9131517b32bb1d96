import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

// The main entry must run in a browser: follow its relative imports and check that none
// of the reachable modules imports a node: module or uses Node globals (@fareledger/domain,
// which lends its assertions, is held to the same rule by shared/purity.test.ts).
test('the main entry reaches no node: modules, Buffer or process', () => {
  const reached = new Set<string>();
  const imports = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    for (const [, specifier] of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)';/gms)) {
      if (specifier!.startsWith('./')) visit(specifier!.replace(/\.js$/, '.ts'));
      else imports.add(specifier!);
    }
    expect(source, file).not.toMatch(/\bBuffer[.(]|\bprocess\.|\brequire\(/);
  };
  visit('./index.ts');
  expect([...reached].sort()).toEqual(['./bytes.ts', './checkpoint.ts', './ed25519.ts', './errors.ts', './index.ts', './keys.ts', './note.ts']);
  expect([...imports].sort()).toEqual(['@fareledger/domain', '@noble/curves/ed25519.js', '@noble/curves/utils.js', '@noble/hashes/sha2.js', '@noble/hashes/utils.js']);
});
