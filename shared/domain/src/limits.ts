// Every field has a limit. These numbers are part of the ledger format (docs/ledger-format.md):
// changing one changes which entries are valid, so it needs a new schema version.

/** Identifiers (tapId, deviceId, operatorId, stationId, routeId, vehicleId, tripId parts, ...). */
export const idLengthMax = 64;
/** A tap's key is `deviceId/tapId`, so two identifiers and a slash. */
export const tapKeyLengthMax = idLengthMax * 2 + 1;
/** Opaque wallet account token (base64 or similar). */
export const accountLengthMax = 128;
/** Free text (adjustment reason), counted in Unicode code points. */
export const reasonLengthMax = 200;
/** Short machine-readable codes (trip reasonCode), e.g. `missing-tap-out`. */
export const reasonCodeLengthMax = 32;

/** Any single amount: ¥100,000.00. Fits in uint32, so never needs 64-bit on the wire. */
export const fenMax = 10_000_000;

/** 2000-01-01T00:00:00.000Z: nothing earlier is a plausible event time. */
export const timeMsMin = 946_684_800_000;
/** 2199-12-31T23:59:59.999Z. */
export const timeMsMax = 7_258_118_399_999;

/** UTC-12:00 .. UTC+14:00, the offsets in use. */
export const utcOffsetMinMin = -720;
export const utcOffsetMinMax = 840;

/** One metered taxi ride: at most 1,000 km, 24 h. */
export const distanceMMax = 1_000_000;
export const durationSMax = 86_400;
/** A trip ends at most 24 h after it starts. */
export const tripDurationMsMax = 86_400_000;
