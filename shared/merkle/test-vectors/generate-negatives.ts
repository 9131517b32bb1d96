// Writes the "negatives" of rfc6962.json: mutated proofs every implementation must
// reject, derived from the positive vectors by the corruptions that transparency-dev/merkle
// applies in proof/verify_test.go. Run: npx tsx shared/merkle/test-vectors/generate-negatives.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const file = new URL('./rfc6962.json', import.meta.url);
const vectors = JSON.parse(readFileSync(file, 'utf8'));
const someHash = 'abacaba000000000000000000000000000000000000000000060061e00123456';
const emptyRoot = vectors.roots[0] as string;
const wrongLeaf = Buffer.from('WrongLeaf').toString('hex');
const wrongRoot = Buffer.from('WrongRoot').toString('hex');
const leafHash = (hex: string) => createHash('sha256').update(Buffer.concat([Buffer.of(0), Buffer.from(hex, 'hex')])).digest('hex');
const flip = (hex: string, mask: number) => (parseInt(hex.slice(0, 2), 16) ^ mask).toString(16).padStart(2, '0') + hex.slice(2);

const inclusion: object[] = [];
for (const { index, size, proof } of vectors.inclusion as { index: number; size: number; proof: string[] }[]) {
  const root = vectors.roots[size] as string;
  const leaf = leafHash(vectors.leaves[index]);
  const probe = (description: string, p: Partial<{ index: number; size: number; leafHash: string; proof: string[]; root: string }>) =>
    inclusion.push({ description: `index ${index} size ${size}: ${description}`, index, size, leafHash: leaf, proof, root, ...p });
  if (index > 0) probe('index - 1', { index: index - 1 });
  probe('index + 1', { index: index + 1 });
  probe('index ^ 2', { index: index ^ 2 });
  probe('size * 2', { size: size * 2 });
  probe('size / 2', { size: Math.floor(size / 2) });
  probe('wrong leaf', { leafHash: wrongLeaf });
  probe('empty root', { root: emptyRoot });
  probe('random root', { root: someHash });
  probe('trailing garbage', { proof: [...proof, ''] });
  probe('trailing root', { proof: [...proof, root] });
  probe('preceding garbage', { proof: ['', ...proof] });
  probe('preceding root', { proof: [root, ...proof] });
  proof.forEach((_, i) => probe(`proof[${i}] bit 3 flipped`, { proof: proof.map((h, j) => (j === i ? flip(h, 8) : h)) }));
  if (proof.length > 0) probe('removed component', { proof: proof.slice(0, -1) });
  if (proof.length > 1) probe('inserted component', { proof: [proof[0] as string, someHash, ...proof.slice(1)] });
}

const consistency: object[] = [];
for (const { size1, size2, proof } of vectors.consistency as { size1: number; size2: number; proof: string[] }[]) {
  if (proof.length === 0) continue;
  const root1 = vectors.roots[size1] as string;
  const root2 = vectors.roots[size2] as string;
  const probe = (description: string, p: Partial<{ size1: number; size2: number; root1: string; root2: string; proof: string[] }>) =>
    consistency.push({ description: `size ${size1} to ${size2}: ${description}`, size1, size2, root1, root2, proof, ...p });
  probe('size1 - 1', { size1: size1 - 1 });
  probe('size1 + 1', { size1: size1 + 1 });
  probe('size1 ^ 2', { size1: size1 ^ 2 });
  probe('size2 * 2', { size2: size2 * 2 });
  probe('size2 / 2', { size2: Math.floor(size2 / 2) });
  probe('wrong root1', { root1: wrongRoot });
  probe('wrong root2', { root2: wrongRoot });
  probe('swapped roots', { root1: root2, root2: root1 });
  probe('empty proof', { proof: [] });
  probe('trailing garbage', { proof: [...proof, ''] });
  probe('trailing root1', { proof: [...proof, root1] });
  probe('trailing root2', { proof: [...proof, root2] });
  probe('preceding garbage', { proof: ['', ...proof] });
  probe('preceding root1', { proof: [root1, ...proof] });
  probe('preceding root2', { proof: [root2, ...proof] });
  probe('preceding proof[0]', { proof: [proof[0] as string, ...proof] });
  probe('truncated proof', { proof: proof.slice(0, -1) });
  proof.forEach((_, i) => probe(`proof[${i}] bit 4 flipped`, { proof: proof.map((h, j) => (j === i ? flip(h, 16) : h)) }));
}

vectors.negatives = { inclusion, consistency };
writeFileSync(file, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${inclusion.length} inclusion and ${consistency.length} consistency negatives to ${file.pathname}`);
