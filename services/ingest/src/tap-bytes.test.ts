import { encodeEntry } from '@fareledger/codecs';
import { accountLengthMax, idLengthMax, tapEntry } from '@fareledger/domain';
import { tapInputSchema, toTap } from '@fareledger/domain/tap-schema';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { recordBytesOverBodyMax, requestRecordBytesMax } from './config.js';

// A request must always fit one tap-log append (the group commit asserts it), so the
// record bytes of its taps must be bounded by its body size. msgpack is the most compact
// body, so it is the worst case.

const longest = (char: string) => char.repeat(idLengthMax);
const common = { tapId: longest('t'), deviceId: longest('d'), operatorId: longest('o'), account: 'a'.repeat(accountLengthMax), eventTime: '2026-03-02T08:15:30.123+08:00' };
const longestTaps = [
  { ...common, mode: 'metro', kind: 'out', stationId: longest('s') },
  { ...common, mode: 'bus', kind: 'single', routeId: longest('r'), vehicleId: longest('v') },
  { ...common, mode: 'taxi', kind: 'metered', vehicleId: longest('v'), distanceM: 1_000_000, durationS: 86_400, waitingS: 86_400 },
  { tapId: 't', deviceId: 'd', operatorId: 'o', account: 'a', mode: 'metro', kind: 'in', stationId: 's', eventTime: '2026-03-02T08:15:30Z' },
];

describe('record bytes of a request', () => {
  it.each(longestTaps.map((tap) => [tap.mode, tap.tapId.length, tap] as const))('a %s tap (ids of %i) adds at most recordBytesOverBodyMax', (_mode, _length, input) => {
    const tap = toTap(tapInputSchema.parse(input), 1_772_410_530_000);
    const recordBytes = encodeEntry(tapEntry(tap)).length + Buffer.byteLength(tap.account);
    expect(recordBytes - pack(input).length).toBeLessThanOrEqual(recordBytesOverBodyMax);
  });

  it('the largest request the config allows fits one Kafka record batch (message.max.bytes, 1 MiB)', () => {
    expect(requestRecordBytesMax({ bodyBytesMax: 768 * 1024, batchTapsMax: 1000 })).toBeLessThanOrEqual(1_048_588);
  });
});
