import type { EntryType } from '@fareledger/domain';

/** The msgpack type a field takes: str, an integer, or an array of str. */
export type FieldKind = 'str' | 'int' | 'str-list';
export type FieldSpec = readonly [name: string, kind: FieldKind];

/** The schema version this code writes, and the only one it reads. */
export const entrySchemaVersion = 1;

/** No valid v1 entry comes near this (the largest is about 1.3 KiB); the decoder refuses more. */
export const entryBytesMax = 4096;

/** Every entry map starts with these two keys, in this order. */
export const entryHeaderFields: readonly FieldSpec[] = [
  ['v', 'int'],
  ['type', 'str'],
];

/**
 * Each type's fields in wire order. A field that is absent is left out (never nil); which
 * fields a mode requires or forbids is the domain's rule (parseTap, parseTrip, ...). Changing
 * this table changes the ledger format: it needs a new entrySchemaVersion.
 */
export const entryFields: { readonly [T in EntryType]: readonly FieldSpec[] } = {
  tap: [
    ['tapId', 'str'],
    ['deviceId', 'str'],
    ['operatorId', 'str'],
    ['account', 'str'],
    ['mode', 'str'],
    ['kind', 'str'],
    ['stationId', 'str'],
    ['routeId', 'str'],
    ['vehicleId', 'str'],
    ['eventTimeMs', 'int'],
    ['utcOffsetMin', 'int'],
    ['distanceM', 'int'],
    ['durationS', 'int'],
    ['waitingS', 'int'],
    ['receivedAtMs', 'int'],
  ],
  trip: [
    ['tripId', 'str'],
    ['account', 'str'],
    ['operatorId', 'str'],
    ['mode', 'str'],
    ['status', 'str'],
    ['tapKeys', 'str-list'],
    ['fromStationId', 'str'],
    ['toStationId', 'str'],
    ['routeId', 'str'],
    ['vehicleId', 'str'],
    ['startMs', 'int'],
    ['endMs', 'int'],
    ['distanceM', 'int'],
    ['fareTableVersion', 'str'],
    ['fareFen', 'int'],
    ['discountFen', 'int'],
    ['chargedFen', 'int'],
    ['reasonCode', 'str'],
  ],
  adjustment: [
    ['adjustmentId', 'str'],
    ['account', 'str'],
    ['tripId', 'str'],
    ['kind', 'str'],
    ['amountFen', 'int'],
    ['reason', 'str'],
    ['authorizedBy', 'str'],
    ['createdAtMs', 'int'],
  ],
};
