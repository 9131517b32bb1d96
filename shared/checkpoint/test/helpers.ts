// Shared by the checkpoint tests and the vector generator.
import { base64Encode } from '../src/bytes.js';
import type { CheckpointFields } from '../src/index.js';

/** The error run() throws; fails when it throws none. */
export function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** A checkpoint (parsed, or the fields it was made from) as the JSON in checkpoint-vectors.json. */
export function checkpointView(c: CheckpointFields) {
  const f = c.fareledger;
  return {
    origin: c.origin,
    treeSize: c.treeSize,
    rootHash: base64Encode(c.rootHash),
    fareledger:
      f === null
        ? null
        : {
            blockHeight: f.blockHeight,
            prevCheckpointHash: base64Encode(f.prevCheckpointHash),
            kafkaOffsetFirst: f.kafkaOffsetFirst,
            kafkaOffsetNext: f.kafkaOffsetNext,
            fareTableVersion: f.fareTableVersion,
            sealed: new Date(f.sealedAtMs).toISOString(),
          },
    otherExtensions: [...(c.otherExtensions ?? [])],
  };
}
