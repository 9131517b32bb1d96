// Writes checkpoint-vectors.json: Fareledger checkpoints signed with fixed test keys, plus
// malformed checkpoint texts. Run from the repo root:
//   npx tsx shared/checkpoint/testdata/generate-checkpoint-vectors.ts
// The output was checked with Go's golang.org/x/mod/sumdb/note (docs/checkpoints.md).
// Signing is deterministic, so a run that changes the file changed the format.

import { writeFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  checkpointHash,
  checkpointOrigin,
  formatSignerKey,
  formatVerifierKey,
  signCheckpoint,
  signerKeyFromSeed,
  verifierKeyOf,
  type CheckpointFields,
  type SignerKey,
} from '../src/index.js';
import { base64Encode, utf8Encode } from '../src/bytes.js';
import { checkpointView } from '../test/helpers.js';

const logName = 'fareledger.example';
const origin0 = checkpointOrigin(logName, 0);
const origin7 = checkpointOrigin(logName, 7);
// Test keys only: seed = SHA-256("fareledger test key <year>"). Key name = origin.
const seedOf = (label: string): Uint8Array => sha256(utf8Encode(label));
const key2025 = (origin: string): SignerKey => signerKeyFromSeed(origin, seedOf('fareledger test key 2025'));
const key2026 = (origin: string): SignerKey => signerKeyFromSeed(origin, seedOf('fareledger test key 2026'));
const root = (label: string): Uint8Array => sha256(utf8Encode(label));

const genesis: CheckpointFields = {
  origin: origin0,
  treeSize: 3,
  rootHash: root('root 0/3'),
  fareledger: {
    blockHeight: 0,
    prevCheckpointHash: new Uint8Array(32),
    kafkaOffsetFirst: 0,
    kafkaOffsetNext: 3,
    fareTableVersion: '2026-01',
    sealedAtMs: Date.parse('2026-11-23T08:00:00.123Z'),
  },
};
const genesisSigned = signCheckpoint(genesis, [key2025(origin0)]);
const block1: CheckpointFields = {
  origin: origin0,
  treeSize: 1000,
  rootHash: root('root 0/1000'),
  fareledger: {
    blockHeight: 1,
    prevCheckpointHash: checkpointHash(genesisSigned),
    kafkaOffsetFirst: 3,
    kafkaOffsetNext: 1004,
    fareTableVersion: '2026-01',
    sealedAtMs: Date.parse('2026-11-23T08:00:01.000Z'),
  },
};
const block1Signed = signCheckpoint(block1, [key2026(origin0)]);
const chain7: CheckpointFields = {
  origin: origin7,
  treeSize: 9007199254740991,
  rootHash: root('root 7'),
  fareledger: {
    blockHeight: 9007199254740991,
    prevCheckpointHash: root('prev 7'),
    kafkaOffsetFirst: 9007199254740990,
    kafkaOffsetNext: 9007199254740991,
    fareTableVersion: 'v2.1_peak-A',
    sealedAtMs: Date.parse('2099-12-31T23:59:59.999Z'),
  },
  otherExtensions: ['example.org/witness-hint 42', 'Timestamp: 1700000000'],
};

const valid = [
  vector('genesis block of chain 0, signed by the 2025 key', genesis, genesisSigned, [key2025(origin0), key2026(origin0)]),
  vector('block 1 of chain 0, prev = checkpointHash(genesis), signed by the 2026 key after rotation', block1, block1Signed, [key2025(origin0), key2026(origin0)]),
  vector('chain 7 at the 2^53-1 limits, with two other extension lines, cosigned by both keys', chain7, signCheckpoint(chain7, [key2026(origin7), key2025(origin7)]), [key2026(origin7)]),
];

function vector(description: string, fields: CheckpointFields, signedNote: string, verifiers: SignerKey[]): unknown {
  return {
    description,
    signedNote,
    origin: fields.origin,
    verifierKeys: verifiers.map((k) => formatVerifierKey(verifierKeyOf(k))),
    checkpointHash: base64Encode(checkpointHash(signedNote)),
    want: checkpointView(fields),
  };
}

// Malformed checkpoint texts: each must fail parseCheckpoint on `line` (0: not one line).
const head = `${origin0}\n1000\n${base64Encode(root('root 0/1000'))}\n`;
const prev = base64Encode(checkpointHash(genesisSigned));
const fl = (lines: Partial<Record<'block' | 'prev' | 'offsets' | 'fares' | 'sealed', string>>): string =>
  `fareledger/block ${lines.block ?? '1'}\n` +
  `fareledger/prev ${lines.prev ?? prev}\n` +
  `fareledger/offsets ${lines.offsets ?? '3 1004'}\n` +
  `fareledger/fares ${lines.fares ?? '2026-01'}\n` +
  `fareledger/sealed ${lines.sealed ?? '2026-11-23T08:00:01.000Z'}\n`;
const rootB64 = base64Encode(root('root 0/1000'));
const invalid: { description: string; text: string; line: number }[] = [
  { description: 'no final newline', text: head.slice(0, -1), line: 0 },
  { description: 'only two lines', text: `${origin0}\n1000\n`, line: 0 },
  { description: 'empty origin', text: `\n1000\n${rootB64}\n`, line: 1 },
  { description: 'tree size with a leading zero', text: `${origin0}\n01000\n${rootB64}\n`, line: 2 },
  { description: 'tree size 00', text: `${origin0}\n00\n${rootB64}\n`, line: 2 },
  { description: 'tree size negative', text: `${origin0}\n-1\n${rootB64}\n`, line: 2 },
  { description: 'tree size with a plus sign', text: `${origin0}\n+1\n${rootB64}\n`, line: 2 },
  { description: 'tree size not a number', text: `${origin0}\nten\n${rootB64}\n`, line: 2 },
  { description: 'tree size in hex', text: `${origin0}\n0x10\n${rootB64}\n`, line: 2 },
  { description: 'tree size with a space', text: `${origin0}\n1000 \n${rootB64}\n`, line: 2 },
  { description: 'tree size above 2^64-1', text: `${origin0}\n18446744073709551616\n${rootB64}\n`, line: 2 },
  { description: 'tree size above 2^53-1 (valid C2SP, unsupported here)', text: `${origin0}\n9007199254740992\n${rootB64}\n`, line: 2 },
  { description: 'root hash of 31 bytes', text: `${origin0}\n1000\n${base64Encode(new Uint8Array(31))}\n`, line: 3 },
  { description: 'root hash of 33 bytes', text: `${origin0}\n1000\n${base64Encode(new Uint8Array(33))}\n`, line: 3 },
  { description: 'root hash without padding', text: `${origin0}\n1000\n${rootB64.slice(0, -1)}\n`, line: 3 },
  { description: 'root hash in URL-safe base64', text: `${origin0}\n1000\n${base64Encode(new Uint8Array(32).fill(0xfb)).replaceAll('+', '-').replaceAll('/', '_')}\n`, line: 3 },
  { description: 'root hash with non-zero padding bits', text: `${origin0}\n1000\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n`, line: 3 },
  { description: 'root hash in hex', text: `${origin0}\n1000\n${'00'.repeat(32)}\n`, line: 3 },
  { description: 'empty extension line', text: `${head}\nfoo\n`, line: 4 },
  { description: 'empty line after the Fareledger lines', text: `${head}${fl({})}\n`, line: 9 },
  { description: 'control character in an extension line', text: `${head}${fl({})}a\tb\n`, line: 9 },
  { description: 'Fareledger lines out of order', text: `${head}fareledger/prev ${prev}\nfareledger/block 1\nfareledger/offsets 3 1004\nfareledger/fares 2026-01\nfareledger/sealed 2026-11-23T08:00:01.000Z\n`, line: 4 },
  { description: 'Fareledger lines incomplete', text: `${head}fareledger/block 1\nfareledger/prev ${prev}\n`, line: 6 },
  { description: 'Fareledger line repeated', text: `${head}${fl({})}fareledger/block 1\n`, line: 9 },
  { description: 'Fareledger lines after another extension', text: `${head}other\n${fl({})}`, line: 5 },
  { description: 'unknown fareledger/ keyword', text: `${head}${fl({})}fareledger/chain 0\n`, line: 9 },
  { description: 'block height with a leading zero', text: `${head}${fl({ block: '01' })}`, line: 4 },
  { description: 'block height negative', text: `${head}${fl({ block: '-1' })}`, line: 4 },
  { description: 'block height missing', text: `${head}fareledger/block\nfareledger/prev ${prev}\n`, line: 4 },
  { description: 'block keyword misspelt', text: `${head}${fl({}).replace('fareledger/block ', 'fareledger/blocks ')}`, line: 4 },
  { description: 'two spaces after keyword', text: `${head}${fl({ block: ' 1' })}`, line: 4 },
  { description: 'prev of 31 bytes', text: `${head}${fl({ prev: base64Encode(new Uint8Array(31).fill(1)) })}`, line: 5 },
  { description: 'prev not base64', text: `${head}${fl({ prev: 'not base64!' })}`, line: 5 },
  { description: 'prev zero for block 1', text: `${head}${fl({ prev: base64Encode(new Uint8Array(32)) })}`, line: 5 },
  { description: 'prev non-zero for block 0', text: `${head}${fl({ block: '0' })}`, line: 5 },
  { description: 'one offset', text: `${head}${fl({ offsets: '3' })}`, line: 6 },
  { description: 'three offsets', text: `${head}${fl({ offsets: '3 4 5' })}`, line: 6 },
  { description: 'offsets separated by two spaces', text: `${head}${fl({ offsets: '3  1004' })}`, line: 6 },
  { description: 'first offset after next', text: `${head}${fl({ offsets: '1004 3' })}`, line: 6 },
  { description: 'offset with a leading zero', text: `${head}${fl({ offsets: '03 1004' })}`, line: 6 },
  { description: 'fare-table version empty', text: `${head}${fl({ fares: '' })}`, line: 7 },
  { description: 'fare-table version with a space', text: `${head}${fl({ fares: '2026 01' })}`, line: 7 },
  { description: 'fare-table version too long', text: `${head}${fl({ fares: 'v'.repeat(33) })}`, line: 7 },
  { description: 'fare-table version starting with a dash', text: `${head}${fl({ fares: '-2026' })}`, line: 7 },
  { description: 'seal time without milliseconds', text: `${head}${fl({ sealed: '2026-11-23T08:00:01Z' })}`, line: 8 },
  { description: 'seal time with microseconds', text: `${head}${fl({ sealed: '2026-11-23T08:00:01.000000Z' })}`, line: 8 },
  { description: 'seal time with an offset', text: `${head}${fl({ sealed: '2026-11-23T09:00:01.000+01:00' })}`, line: 8 },
  { description: 'seal time lowercase', text: `${head}${fl({ sealed: '2026-11-23t08:00:01.000z' })}`, line: 8 },
  { description: 'seal time February 30', text: `${head}${fl({ sealed: '2026-02-30T08:00:01.000Z' })}`, line: 8 },
  { description: 'seal time hour 24', text: `${head}${fl({ sealed: '2026-11-23T24:00:00.000Z' })}`, line: 8 },
  { description: 'seal time leap second', text: `${head}${fl({ sealed: '2016-12-31T23:59:60.000Z' })}`, line: 8 },
  { description: 'seal time before 1970', text: `${head}${fl({ sealed: '1969-12-31T23:59:59.999Z' })}`, line: 8 },
  { description: 'seal time as epoch milliseconds', text: `${head}${fl({ sealed: '1795420801000' })}`, line: 8 },
];

const out = {
  description:
    'Fareledger checkpoint vectors (docs/checkpoints.md). valid: signed notes that must open with verifierKeys and the origin, and parse to want (rootHash and prevCheckpointHash base64; checkpointHash is SHA-256 of the signed note). invalid: note texts that parseCheckpoint must reject, with the 1-based line at fault (0: the text as a whole). Test keys: seed = SHA-256("fareledger test key 2025" or "... 2026"), key name = origin.',
  generatedBy: 'shared/checkpoint/testdata/generate-checkpoint-vectors.ts',
  testSignerKeys: [key2025(origin0), key2026(origin0), key2025(origin7), key2026(origin7)].map(formatSignerKey),
  valid,
  invalid,
};
writeFileSync(new URL('./checkpoint-vectors.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
