import { decodeEntry } from '@fareledger/codecs';
import type { Entry } from '@fareledger/domain';

// The audit export's rows: every entry of a chain, decoded, as NDJSON (one JSON object a
// line) or CSV (RFC 4180), ending with the checkpoint the entries are covered by.

export const csvColumns = [
  'log_index', 'type', 'key', 'account', 'time', 'operator_id', 'mode', 'tap_kind', 'trip_status', 'station_id', 'from_station_id',
  'to_station_id', 'route_id', 'vehicle_id', 'distance_m', 'duration_s', 'waiting_s', 'fare_table_version', 'fare_fen', 'discount_fen',
  'charged_fen', 'amount_fen', 'trip_id', 'reason_code', 'adjustment_kind', 'reason', 'leaf_base64',
] as const;

type Column = (typeof csvColumns)[number];

export function ndjsonLine(logIndex: number, bytes: Uint8Array): string {
  return `${JSON.stringify({ logIndex, ...decodeEntry(bytes), leaf: Buffer.from(bytes).toString('base64') })}\n`;
}

export function ndjsonCheckpointLine(chain: number, exportedTo: number, treeSize: number, note: string): string {
  return `${JSON.stringify({ type: 'checkpoint', chain, exportedTo, treeSize, note })}\n`;
}

export function csvHeader(): string {
  return `${csvColumns.join(',')}\r\n`;
}

export function csvLine(logIndex: number, bytes: Uint8Array): string {
  return csvRow({ log_index: logIndex, ...columnsOf(decodeEntry(bytes)), leaf_base64: Buffer.from(bytes).toString('base64') });
}

/** The last row: type `checkpoint`, key the tree size, reason the signed note, leaf_base64 its bytes. */
export function csvCheckpointLine(exportedTo: number, treeSize: number, note: string): string {
  return csvRow({ log_index: exportedTo, type: 'checkpoint', key: treeSize, reason: note, leaf_base64: Buffer.from(note).toString('base64') });
}

function columnsOf(entry: Entry): Partial<Record<Column, string | number>> {
  switch (entry.type) {
    case 'tap': {
      const t = entry.tap;
      return {
        type: 'tap', key: `${t.deviceId}/${t.tapId}`, account: t.account, time: new Date(t.eventTimeMs).toISOString(), operator_id: t.operatorId,
        mode: t.mode, tap_kind: t.kind, ...(t.mode === 'metro' ? { station_id: t.stationId } : {}),
        ...(t.mode === 'bus' ? { route_id: t.routeId, vehicle_id: t.vehicleId } : {}),
        ...(t.mode === 'taxi' ? { vehicle_id: t.vehicleId, distance_m: t.distanceM, duration_s: t.durationS, waiting_s: t.waitingS } : {}),
      };
    }
    case 'trip': {
      const t = entry.trip;
      return {
        type: 'trip', key: t.tripId, account: t.account, time: new Date(t.endMs).toISOString(), operator_id: t.operatorId, mode: t.mode,
        trip_status: t.status, ...(t.mode === 'metro' ? { from_station_id: t.fromStationId ?? '', to_station_id: t.toStationId ?? '' } : {}),
        ...(t.mode === 'bus' ? { route_id: t.routeId, vehicle_id: t.vehicleId } : {}), ...(t.mode === 'taxi' ? { vehicle_id: t.vehicleId } : {}),
        distance_m: t.distanceM ?? '', fare_table_version: t.fareTableVersion, fare_fen: t.fareFen, discount_fen: t.discountFen, charged_fen: t.chargedFen,
        reason_code: t.reasonCode ?? '',
      };
    }
    case 'adjustment': {
      const a = entry.adjustment;
      return {
        type: 'adjustment', key: a.adjustmentId, account: a.account, time: new Date(a.createdAtMs).toISOString(), trip_id: a.tripId,
        adjustment_kind: a.kind, amount_fen: a.amountFen, reason: a.reason,
      };
    }
  }
}

function csvRow(values: Partial<Record<Column, string | number>>): string {
  return `${csvColumns.map((column) => csvCell(values[column])).join(',')}\r\n`;
}

/**
 * RFC 4180 quoting; and a text cell that a spreadsheet would read as a formula (it starts
 * with = + - @, a tab or a CR) gets a leading apostrophe, as OWASP advises against CSV
 * injection. Numbers are written as they are.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
