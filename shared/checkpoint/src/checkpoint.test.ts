import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { base64DecodeStrict, base64Encode, utf8Encode } from './bytes.js';
import {
  checkpointHash,
  checkpointOrigin,
  formatCheckpoint,
  genesisPrevBase64,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
  type CheckpointFields,
} from './checkpoint.js';
import { CheckpointError, InvalidSignatureError, MalformedCheckpointError, UnexpectedOriginError, UnverifiedNoteError } from './errors.js';
import { formatKeyHash, parseSignerKey, parseVerifierKey, signerKeyFromSeed, verifierKeyOf } from './keys.js';
import { ed25519Node } from './node-ed25519.js';
import { parseNote, signNote } from './note.js';
import { checkpointView, errorOf } from '../test/helpers.js';

interface Vectors {
  testSignerKeys: string[];
  valid: {
    description: string;
    signedNote: string;
    origin: string;
    verifierKeys: string[];
    checkpointHash: string;
    want: {
      origin: string;
      treeSize: number;
      rootHash: string;
      fareledger: null | {
        blockHeight: number;
        prevCheckpointHash: string;
        kafkaOffsetFirst: number;
        kafkaOffsetNext: number;
        fareTableVersion: string;
        sealed: string;
      };
      otherExtensions: string[];
    };
  }[];
  invalid: { description: string; text: string; line: number }[];
}
const vectors = JSON.parse(readFileSync(new URL('../testdata/checkpoint-vectors.json', import.meta.url), 'utf8')) as Vectors;


const plain = (c: Checkpoint): Vectors['valid'][number]['want'] => checkpointView(c);

const fromBase64 = (s: string): Uint8Array => base64DecodeStrict(s)!;

describe('Fareledger checkpoint vectors (testdata/checkpoint-vectors.json)', () => {
  const signers = vectors.testSignerKeys.map((k) => parseSignerKey(k));

  test.each(vectors.valid)('$description', (v) => {
    const { checkpoint, note } = openCheckpoint(v.signedNote, { verifiers: v.verifierKeys.map(parseVerifierKey), origin: v.origin });
    expect(plain(checkpoint)).toEqual(v.want);
    expect(base64Encode(checkpointHash(v.signedNote))).toBe(v.checkpointHash);
    expect(base64Encode(checkpointHash(utf8Encode(v.signedNote)))).toBe(v.checkpointHash);
    // Formatting the parsed checkpoint gives back the signed text, byte for byte.
    expect(formatCheckpoint(checkpoint)).toBe(note.text);
    // Re-signing with the same keys in the same order reproduces the note exactly.
    const all = parseNote(v.signedNote).unverifiedSignatures;
    const keys = all.map((s) => signers.find((k) => k.name === s.name && k.keyHash === s.keyHash)!);
    expect(signCheckpoint(checkpoint, keys)).toBe(v.signedNote);
    expect(signCheckpoint(checkpoint, keys, { ed25519: ed25519Node })).toBe(v.signedNote);
  });

  test('block 1 links to the genesis block by checkpointHash', () => {
    const [genesis, block1] = vectors.valid;
    expect(block1!.want.fareledger!.prevCheckpointHash).toBe(genesis!.checkpointHash);
    expect(genesis!.want.fareledger!.prevCheckpointHash).toBe(genesisPrevBase64);
  });

  test.each(vectors.invalid)('rejects $description (line $line)', (v) => {
    const error = errorOf(() => parseCheckpoint(v.text));
    expect(error).toBeInstanceOf(MalformedCheckpointError);
    expect((error as MalformedCheckpointError).line).toBe(v.line);
  });

  test('a validly signed but malformed checkpoint does not open', () => {
    const bad = vectors.invalid.find((v) => v.description === 'tree size with a leading zero')!;
    const key = signers[0]!;
    const signed = signNote(bad.text, [key]);
    expect(errorOf(() => openCheckpoint(signed, { verifiers: [verifierKeyOf(key)], origin: key.name }))).toMatchObject({
      code: 'malformed_checkpoint',
      line: 2,
    });
  });
});

describe('openCheckpoint', () => {
  const [genesis] = vectors.valid;
  const verifiers = genesis!.verifierKeys.map(parseVerifierKey);

  test('checks the origin', () => {
    const error = errorOf(() => openCheckpoint(genesis!.signedNote, { verifiers, origin: 'fareledger.example/chain/1' }));
    expect(error).toBeInstanceOf(UnexpectedOriginError);
    expect((error as UnexpectedOriginError).message).toBe('checkpoint origin "fareledger.example/chain/0", expected "fareledger.example/chain/1"');
  });

  test('needs a trusted key', () => {
    const other = verifierKeyOf(signerKeyFromSeed('fareledger.example/chain/0', new Uint8Array(32).fill(9)));
    expect(errorOf(() => openCheckpoint(genesis!.signedNote, { verifiers: [other], origin: genesis!.origin }))).toBeInstanceOf(UnverifiedNoteError);
  });

  test('every single-byte change (xor 0x01) of a signed checkpoint fails to open', () => {
    const bytes = utf8Encode(genesis!.signedNote);
    for (let i = 0; i < bytes.length; i++) {
      const mutated = bytes.slice();
      mutated[i] = mutated[i]! ^ 0x01;
      const error = errorOf(() => openCheckpoint(mutated, { verifiers, origin: genesis!.origin, ed25519: ed25519Node }));
      expect(error, `byte ${i}`).toBeInstanceOf(CheckpointError);
    }
  });

  test('a changed tree size with the old signature is an invalid signature', () => {
    const forged = genesis!.signedNote.replace('\n3\n', '\n4\n');
    expect(errorOf(() => openCheckpoint(forged, { verifiers, origin: genesis!.origin }))).toBeInstanceOf(InvalidSignatureError);
  });
});

// A real checkpoint of the Go checksum database, signed by sum.golang.org's published key
// (golang/go src/cmd/go/internal/modfetch/key.go), from google/trillian-examples
// formats/log/checkpoint_test.go.
describe('sum.golang.org checkpoint', () => {
  const sumdbKey = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
  const signed =
    'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n' +
    '— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n';
  const options = { verifiers: [parseVerifierKey(sumdbKey)], origin: 'go.sum database tree', requireFareledger: false };

  test('verifies and parses', () => {
    const { checkpoint, note } = openCheckpoint(signed, options);
    expect(plain(checkpoint)).toEqual({
      origin: 'go.sum database tree',
      treeSize: 6476701,
      rootHash: 'mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=',
      fareledger: null,
      otherExtensions: [],
    });
    expect(note.signatures.map((s) => `${s.name}+${formatKeyHash(s.keyHash)}`)).toEqual(['sum.golang.org+033de0ae']);
    expect(formatCheckpoint(checkpoint)).toBe(note.text);
  });

  test('is not a Fareledger checkpoint unless asked', () => {
    expect(errorOf(() => openCheckpoint(signed, { ...options, requireFareledger: true }))).toMatchObject({ code: 'malformed_checkpoint', line: 4 });
  });

  test('a changed root hash fails', () => {
    const forged = signed.replace('mb8Q', 'mb8R');
    expect(errorOf(() => openCheckpoint(forged, options))).toBeInstanceOf(InvalidSignatureError);
  });
});

test('the example in c2sp.org/tlog-checkpoint parses (its key is not published)', () => {
  const example =
    'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
    '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
  const note = parseNote(example);
  expect(note.unverifiedSignatures.map((s) => `${s.name}+${formatKeyHash(s.keyHash)}`)).toEqual(['example.com/behind-the-sofa+033de0ae']);
  expect(plain(parseCheckpoint(note.text))).toEqual({
    origin: 'example.com/behind-the-sofa',
    treeSize: 20852163,
    rootHash: 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=',
    fareledger: null,
    otherExtensions: [],
  });
});

describe('formatCheckpoint', () => {
  const fields: CheckpointFields = {
    origin: checkpointOrigin('fareledger.example', 3),
    treeSize: 1234,
    rootHash: new Uint8Array(32).fill(0xab),
    fareledger: {
      blockHeight: 17,
      prevCheckpointHash: new Uint8Array(32).fill(0xcd),
      kafkaOffsetFirst: 1000,
      kafkaOffsetNext: 2000,
      fareTableVersion: '2026-01',
      sealedAtMs: Date.UTC(2026, 10, 23, 8, 0, 0, 123),
    },
  };

  test('writes the documented text exactly', () => {
    expect(formatCheckpoint(fields)).toBe(
      'fareledger.example/chain/3\n' +
        '1234\n' +
        'q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n' +
        'fareledger/block 17\n' +
        'fareledger/prev zc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc0=\n' +
        'fareledger/offsets 1000 2000\n' +
        'fareledger/fares 2026-01\n' +
        'fareledger/sealed 2026-11-23T08:00:00.123Z\n',
    );
  });

  test('round trips: empty tree, no extensions, only other extensions, everything', () => {
    const cases: CheckpointFields[] = [
      { origin: 'a', treeSize: 0, rootHash: fromBase64('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='), fareledger: null },
      { origin: 'example.com/log42', treeSize: 1, rootHash: new Uint8Array(32), fareledger: null, otherExtensions: ['x'] },
      { ...fields, otherExtensions: ['ext one', 'ext/two 2'] },
      { ...fields, fareledger: { ...fields.fareledger!, blockHeight: 0, prevCheckpointHash: new Uint8Array(32), kafkaOffsetFirst: 5, kafkaOffsetNext: 5, sealedAtMs: 0 } },
    ];
    for (const c of cases) {
      const text = formatCheckpoint(c);
      const parsed = parseCheckpoint(text);
      expect(plain(parsed)).toEqual(plain({ ...c, otherExtensions: c.otherExtensions ?? [] }));
      expect(formatCheckpoint(parsed)).toBe(text);
    }
  });

  test.each([
    ['negative tree size', { ...fields, treeSize: -1 }],
    ['tree size above 2^53-1', { ...fields, treeSize: 2 ** 53 }],
    ['fractional tree size', { ...fields, treeSize: 1.5 }],
    ['31-byte root hash', { ...fields, rootHash: new Uint8Array(31) }],
    ['empty origin', { ...fields, origin: '' }],
    ['origin with a newline', { ...fields, origin: 'a\nb' }],
    ['zero prev after genesis', { ...fields, fareledger: { ...fields.fareledger!, prevCheckpointHash: new Uint8Array(32) } }],
    ['non-zero prev at genesis', { ...fields, fareledger: { ...fields.fareledger!, blockHeight: 0 } }],
    ['first offset after next', { ...fields, fareledger: { ...fields.fareledger!, kafkaOffsetFirst: 2001 } }],
    ['bad fare-table version', { ...fields, fareledger: { ...fields.fareledger!, fareTableVersion: '2026 01' } }],
    ['seal time after 9999', { ...fields, fareledger: { ...fields.fareledger!, sealedAtMs: Date.UTC(10000, 0, 1) } }],
    ['empty other extension', { ...fields, otherExtensions: [''] }],
    ['other extension in fareledger/', { ...fields, otherExtensions: ['fareledger/chain 3'] }],
  ] satisfies [string, CheckpointFields][])('%s is a programmer error (assertion, not a typed error)', (_, bad) => {
    const error = errorOf(() => formatCheckpoint(bad));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CheckpointError);
  });
});

describe('checkpointOrigin', () => {
  test('log name plus chain number', () => {
    expect(checkpointOrigin('fareledger.example', 0)).toBe('fareledger.example/chain/0');
    expect(checkpointOrigin('transit.example.cn/ledger', 12)).toBe('transit.example.cn/ledger/chain/12');
  });

  test.each([
    ['', 0],
    ['has space', 0],
    ['a+b', 0],
    ['fareledger.example', -1],
    ['fareledger.example', 1.5],
  ])('%j, %j is a programmer error', (logName, chain) => {
    expect(() => checkpointOrigin(logName, chain)).toThrow();
  });
});

test('checkpointHash is SHA-256 of the exact bytes', () => {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  expect(Buffer.from(checkpointHash('abc')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
