export const modes = ['metro', 'bus', 'taxi'] as const;
export type Mode = (typeof modes)[number];

export const tapKinds = ['in', 'out', 'single', 'metered'] as const;
export type TapKind = (typeof tapKinds)[number];

/** metro: gated entry and exit; bus: one flat-fare tap on boarding; taxi: one metered tap. */
const tapKindsByMode: { readonly [M in Mode]: readonly TapKind[] } = {
  metro: ['in', 'out'],
  bus: ['single'],
  taxi: ['metered'],
};

/** The one rule for which tap kinds a mode accepts. */
export function tapKindAllowed(mode: Mode, kind: TapKind): boolean {
  return tapKindsByMode[mode].includes(kind);
}

export function isMode(value: unknown): value is Mode {
  return (modes as readonly unknown[]).includes(value);
}

export function isTapKind(value: unknown): value is TapKind {
  return (tapKinds as readonly unknown[]).includes(value);
}
