import { describe, expect, it } from 'vitest';
import { isMode, isTapKind, modes, tapKindAllowed, tapKinds } from './mode.js';

describe('tapKindAllowed', () => {
  it('allows exactly metro in/out, bus single, taxi metered', () => {
    const allowed = modes.flatMap((mode) => tapKinds.filter((kind) => tapKindAllowed(mode, kind)).map((kind) => `${mode}:${kind}`));
    expect(allowed).toEqual(['metro:in', 'metro:out', 'bus:single', 'taxi:metered']);
  });
});

describe('isMode / isTapKind', () => {
  it.each([
    ['metro', true, false],
    ['in', false, true],
    ['Metro', false, false],
    [1, false, false],
    [undefined, false, false],
  ])('%s', (value, mode, kind) => {
    expect(isMode(value)).toBe(mode);
    expect(isTapKind(value)).toBe(kind);
  });
});
