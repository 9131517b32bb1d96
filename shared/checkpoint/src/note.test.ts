import { AssertionError } from '@fareledger/domain';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { utf8Encode } from './bytes.js';
import { ed25519Noble, type Ed25519 } from './ed25519.js';
import { AmbiguousVerifierError, CheckpointError, InvalidSignatureError, InvalidSignerError, MalformedNoteError, UnverifiedNoteError } from './errors.js';
import { formatKeyHash, parseSignerKey, parseVerifierKey, SignerKey, signerKeyFromSeed, verifierKeyOf, type VerifierKey } from './keys.js';
import { ed25519Node } from './node-ed25519.js';
import { noteBytesMax, noteSignaturesMax, openNote, parseNote, signNote, type Note, type NoteSignature } from './note.js';
import { errorOf } from '../test/helpers.js';

interface WantSignature {
  name: string;
  keyHash: string;
  base64: string;
}
interface GoVectors {
  sign: { description: string; text: string; signerKeys: string[]; signedNote: string }[];
  open: {
    description: string;
    note?: string;
    noteBase64?: string;
    verifiers: string[];
    want: { error?: string; signatures?: WantSignature[]; unverifiedSignatures?: WantSignature[] };
  }[];
}
const vectors = JSON.parse(readFileSync(new URL('../testdata/go-note-vectors.json', import.meta.url), 'utf8')) as GoVectors;

// The example from the documentation of Go's golang.org/x/mod/sumdb/note (note.go).
const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const peterSigLine = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const peterNote = `${text}\n${peterSigLine}`;
const peter = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
const peterSigner = parseSignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz');
const enoch = parseVerifierKey('EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop');

const implementations: readonly Ed25519[] = [ed25519Noble, ed25519Node];


function plain(signatures: readonly NoteSignature[]): WantSignature[] {
  return signatures.map((s) => ({ name: s.name, keyHash: formatKeyHash(s.keyHash), base64: s.base64 }));
}

describe('Go note vectors (testdata/go-note-vectors.json)', () => {
  test.each(vectors.sign)('sign: $description', (v) => {
    for (const ed25519 of implementations) {
      expect(signNote(v.text, v.signerKeys.map((k) => parseSignerKey(k)), { ed25519 })).toBe(v.signedNote);
    }
  });

  test.each(vectors.open)('open: $description', (v) => {
    const message = v.noteBase64 === undefined ? v.note! : Uint8Array.from(Buffer.from(v.noteBase64, 'base64'));
    const verifiers = v.verifiers.map(parseVerifierKey);
    const open = (): Note => openNote(message, verifiers);
    let note: Note;
    if (v.want.error === undefined) {
      note = open();
    } else {
      const error = errorOf(open);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).code).toBe(v.want.error);
      if (!(error instanceof UnverifiedNoteError)) return;
      note = error.note;
    }
    expect(note.text).toBe(text);
    expect(plain(note.signatures)).toEqual(v.want.signatures);
    expect(plain(note.unverifiedSignatures)).toEqual(v.want.unverifiedSignatures);
  });
});

describe('the PeterNeumann example', () => {
  test.each(implementations)('verifies, and signing reproduces the signature line ($name)', (ed25519) => {
    const note = openNote(peterNote, [peter], { ed25519 });
    expect(note).toEqual({
      text,
      signatures: [{ name: 'PeterNeumann', keyHash: 0xc74f20a3, base64: 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=' }],
      unverifiedSignatures: [],
    });
    expect(signNote(text, [peterSigner], { ed25519 })).toBe(peterNote);
    expect(openNote(utf8Encode(peterNote), [peter], { ed25519 })).toEqual(note);
  });

  // Every position, xor 0x01: a changed byte must never open. It may fail to decode, fail
  // to parse, name an unknown key, or fail to verify; what it may not do is open.
  test('every single-byte change (xor 0x01) fails to open', () => {
    const bytes = utf8Encode(peterNote);
    const codes = new Map<string, number>();
    for (let i = 0; i < bytes.length; i++) {
      const mutated = bytes.slice();
      mutated[i] = mutated[i]! ^ 0x01;
      const error = errorOf(() => openNote(mutated, [peter]));
      expect(error, `byte ${i}`).toBeInstanceOf(CheckpointError);
      const code = (error as CheckpointError).code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(bytes.length).toBe(210);
    // The three ways a one-bit change fails, each seen.
    expect([...codes.keys()].sort()).toEqual(['invalid_signature', 'malformed_note', 'unverified_note']);
  });

  // About 40,000 verifications: a second alone, several when CI runs the integration files beside it.
  test('every single-byte change to any other value fails to open (node:crypto for speed)', { timeout: 60_000 }, () => {
    const bytes = utf8Encode(peterNote);
    let opened = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let value = 0; value < 256; value++) {
        if (value === bytes[i]) continue;
        const mutated = bytes.slice();
        mutated[i] = value;
        try {
          openNote(mutated, [peter], { ed25519: ed25519Node });
          opened++;
        } catch (error) {
          if (!(error instanceof CheckpointError)) throw error;
        }
      }
    }
    expect(opened).toBe(0);
  });

  test('a different key name does not verify', () => {
    const renamed = peterNote.replace('— PeterNeumann ', '— PeterNeuman ');
    const error = errorOf(() => openNote(renamed, [peter]));
    expect(error).toBeInstanceOf(UnverifiedNoteError);
    expect(plain((error as UnverifiedNoteError).note.unverifiedSignatures)).toEqual([
      { name: 'PeterNeuman', keyHash: 'c74f20a3', base64: 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=' },
    ]);
    // A verifier under another name for the same public key is another key: it does not match either.
    const otherName = signerKeyFromSeed('EnochRoot', peterSigner.seed);
    expect(errorOf(() => openNote(peterNote, [verifierKeyOf(otherName)]))).toBeInstanceOf(UnverifiedNoteError);
  });

  test('the wrong public key under the right name and hash is an invalid signature', () => {
    const impostor: VerifierKey = { name: peter.name, keyHash: peter.keyHash, publicKey: enoch.publicKey };
    expect(errorOf(() => openNote(peterNote, [impostor]))).toMatchObject({
      name: 'InvalidSignatureError',
      code: 'invalid_signature',
      keyName: 'PeterNeumann',
      keyHash: 0xc74f20a3,
      message: 'invalid signature for key PeterNeumann+c74f20a3',
    });
  });
});

describe('verifier sets', () => {
  const impostor: VerifierKey = { name: peter.name, keyHash: peter.keyHash, publicKey: enoch.publicKey };

  test('the same key listed twice is not ambiguous (Go would say it is)', () => {
    expect(openNote(peterNote, [peter, enoch, parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')]).signatures).toHaveLength(1);
  });

  test('two different keys with one name and hash are ambiguous, when a signature needs them', () => {
    const error = errorOf(() => openNote(peterNote, [peter, impostor]));
    expect(error).toBeInstanceOf(AmbiguousVerifierError);
    expect((error as AmbiguousVerifierError).message).toBe('ambiguous key PeterNeumann+c74f20a3');
    const unused = { name: enoch.name, keyHash: enoch.keyHash, publicKey: peter.publicKey };
    expect(openNote(peterNote, [peter, enoch, unused]).signatures).toHaveLength(1);
  });

  test('key rotation: old and new keys, under old and new names, both verify', () => {
    const logText = 'fareledger.example/chain/0\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n';
    const old2025 = signerKeyFromSeed('fareledger.example/key-2025', new Uint8Array(32).fill(25));
    const new2026 = signerKeyFromSeed('fareledger.example/key-2026', new Uint8Array(32).fill(26));
    const sameNameNew = signerKeyFromSeed('fareledger.example/key-2025', new Uint8Array(32).fill(27));
    const trusted = [verifierKeyOf(old2025), verifierKeyOf(new2026), verifierKeyOf(sameNameNew)];
    for (const signer of [old2025, new2026, sameNameNew]) {
      const note = openNote(signNote(logText, [signer]), trusted);
      expect(plain(note.signatures).map((s) => `${s.name}+${s.keyHash}`)).toEqual([`${signer.name}+${formatKeyHash(signer.keyHash)}`]);
    }
    expect(formatKeyHash(sameNameNew.keyHash)).not.toBe(formatKeyHash(old2025.keyHash));
    // After rotation a verifier that only trusts the new key no longer accepts the old one.
    expect(errorOf(() => openNote(signNote(logText, [old2025]), [verifierKeyOf(new2026)]))).toBeInstanceOf(UnverifiedNoteError);
  });
});

describe('signNote (Go TestSign and more)', () => {
  const goodPeter: NoteSignature = { name: 'PeterNeumann', keyHash: 0xc74f20a3, base64: 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=' };
  const note = (signatures: NoteSignature[]): Note => ({ text, signatures, unverifiedSignatures: [] });
  const cosigner = signerKeyFromSeed('EnochRoot', new Uint8Array(32).fill(3));

  test('a signer replaces an existing signature by the same key', () => {
    expect(signNote(note([{ name: 'PeterNeumann', keyHash: 0xc74f20a3, base64: 'BADSIGN=' }]), [peterSigner])).toBe(peterNote);
  });

  test('cosigning keeps existing signatures first, then adds the new one', () => {
    const cosigned = signNote(openNote(peterNote, [peter]), [cosigner]);
    expect(cosigned.startsWith(peterNote)).toBe(true);
    const opened = openNote(cosigned, [peter, verifierKeyOf(cosigner)]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(cosigned).toBe(`${peterNote}${signNote(text, [cosigner]).slice(text.length + 1)}`);
  });

  test('several signers sign in order', () => {
    const both = signNote(text, [peterSigner, cosigner]);
    expect(both).toBe(`${peterNote}${signNote(text, [cosigner]).slice(text.length + 1)}`);
  });

  test.each([
    ['abc', 'text does not end in a newline'],
    ['', 'text does not end in a newline'],
    ['a\rb\n', 'control character in text'],
    ['a\u0000\n', 'control character in text'],
    ['a\ud800\n', 'text is not valid Unicode'],
    [`${'a'.repeat(noteBytesMax)}\n`, `text longer than ${noteBytesMax} bytes`],
  ])('text %j is malformed: %s', (badText, reason) => {
    expect(errorOf(() => signNote(badText, [peterSigner]))).toMatchObject({ code: 'malformed_note', reason });
  });

  test('existing signatures that are malformed', () => {
    expect(errorOf(() => signNote(note([{ name: 'a+b', keyHash: 0, base64: 'ABCD' }]), [cosigner]))).toBeInstanceOf(MalformedNoteError);
    expect(errorOf(() => signNote(note([{ name: 'PeterNeumann', keyHash: 0xc74f20a3, base64: 'BADHASH=' }]), [cosigner]))).toBeInstanceOf(MalformedNoteError);
    // Well-formed base64 whose first four bytes are another key hash.
    expect(errorOf(() => signNote(note([{ ...goodPeter, keyHash: 0xc74f20a4 }]), [cosigner]))).toBeInstanceOf(MalformedNoteError);
    expect(signNote(note([goodPeter]), [cosigner]).startsWith(peterNote)).toBe(true);
  });

  test('a signer whose name cannot appear in a signature line', () => {
    const bad = new SignerKey('bad name', peterSigner.keyHash, peterSigner.publicKey, peterSigner.seed);
    expect(errorOf(() => signNote(text, [bad]))).toBeInstanceOf(InvalidSignerError);
  });

  test('no signers is a programmer error', () => {
    expect(() => signNote(text, [])).toThrow(AssertionError);
  });

  test('texts with empty lines, DEL and C1 controls sign and open unchanged', () => {
    for (const t of ['\n', 'a\n\nb\n', 'a\n\n\n', 'del\u007f nel\u0085 bom\ufeff\n', '\ufeffstarts with a BOM\n', 'emoji 🚌\n']) {
      const signed = signNote(t, [peterSigner]);
      expect(openNote(signed, [peter]).text).toBe(t);
      expect(openNote(utf8Encode(signed), [peter]).text).toBe(t);
    }
  });
});

describe('openNote input', () => {
  test('a lone surrogate in a string note is malformed', () => {
    expect(errorOf(() => openNote(`\ud800${peterNote}`, [peter]))).toMatchObject({ code: 'malformed_note', reason: 'not valid Unicode' });
  });

  test.each([
    ['\r\n line ending', peterNote.replace('\n', '\r\n')],
    ['a tab', `\t${peterNote}`],
    ['a signature line without "— "', `${text}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`],
    ['a signature without its name', `${text}\n— x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`],
    ['an empty signature', `${text}\n— PeterNeumann \n`],
    ['a signature of 4 bytes (key hash only)', `${text}\n— PeterNeumann x08gow==\n`],
    ['a signature in unpadded base64', peterNote.replace('AM=\n', 'AM\n')],
    ['two spaces after the name', peterNote.replace('PeterNeumann x08', 'PeterNeumann  x08')],
    ['a space at the end of the signature line', peterNote.replace('AM=\n', 'AM= \n')],
  ])('%s is malformed', (_, message) => {
    expect(errorOf(() => openNote(message, [peter]))).toBeInstanceOf(MalformedNoteError);
  });

  test('an empty line between signatures moves the first into the text, which then fails to verify', () => {
    const message = `${text}\n${peterSigLine}\n${peterSigLine}`;
    expect(parseNote(message).text).toBe(`${text}\n${peterSigLine}`);
    expect(errorOf(() => openNote(message, [peter]))).toBeInstanceOf(InvalidSignatureError);
  });

  test(`at most ${noteSignaturesMax} signatures, at most ${noteBytesMax} bytes`, () => {
    expect(openNote(`${text}\n${peterSigLine.repeat(noteSignaturesMax)}`, [peter]).signatures).toHaveLength(1);
    expect(errorOf(() => openNote(`${text}\n${peterSigLine.repeat(noteSignaturesMax + 1)}`, [peter]))).toMatchObject({
      reason: `more than ${noteSignaturesMax} signatures`,
    });
    // A note of exactly noteBytesMax bytes opens; one byte more does not.
    const sigLineBytes = utf8Encode(peterSigLine).length;
    const padded = (extra: number): string => signNote(`${'a'.repeat(noteBytesMax - 2 - sigLineBytes + extra)}\n`, [peterSigner]);
    expect(utf8Encode(padded(0)).length).toBe(noteBytesMax);
    expect(openNote(padded(0), [peter]).signatures).toHaveLength(1);
    expect(errorOf(() => padded(1))).toMatchObject({ code: 'malformed_note', reason: `signed note longer than ${noteBytesMax} bytes` });
    const tooLong = utf8Encode(`${'a'.repeat(noteBytesMax - 1 - sigLineBytes)}\n\n${peterSigLine}`);
    expect(tooLong.length).toBe(noteBytesMax + 1);
    expect(errorOf(() => openNote(tooLong, [peter]))).toMatchObject({ reason: `longer than ${noteBytesMax} bytes` });
  });
});

describe('parseNote', () => {
  test('returns every signature unverified, identical lines once', () => {
    const cosigner = signerKeyFromSeed('EnochRoot', new Uint8Array(32).fill(3));
    const cosigned = signNote(openNote(peterNote, [peter]), [cosigner]);
    const twice = `${cosigned}${peterSigLine}`;
    const note = parseNote(twice);
    expect(note.text).toBe(text);
    expect(note.signatures).toEqual([]);
    expect(note.unverifiedSignatures.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(parseNote(utf8Encode(twice))).toEqual(note);
  });

  test('still rejects malformed notes, without verifying anything', () => {
    expect(errorOf(() => parseNote(text))).toBeInstanceOf(MalformedNoteError);
    const badSignature = peterNote.replace('FupLL', 'FupLM');
    expect(parseNote(badSignature).unverifiedSignatures).toHaveLength(1);
    expect(errorOf(() => openNote(badSignature, [peter]))).toBeInstanceOf(InvalidSignatureError);
  });
});
