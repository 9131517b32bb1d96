export { decodeEntry, encodeEntry, equalBytes } from './entry-codec.js';
export {
  entryBytesMax,
  entryFields,
  entryHeaderFields,
  entrySchemaVersion,
  type FieldKind,
  type FieldSpec,
} from './entry-schema.js';
export { type DecodeReason, decodeReasons, EntryDecodeError } from './errors.js';
