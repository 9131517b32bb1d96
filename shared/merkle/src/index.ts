export { CompactRange, compactRangeIds, treeHeight, type NodeVisitor } from './compact-range.js';
export { MerkleError, MissingHashError, ProofRequestError, VerificationError, type VerificationFailure } from './errors.js';
export { HASH_BYTES, nobleHasher, rfc6962Hasher, type Hash, type Hasher, type Sha256 } from './hasher.js';
export { coverage, nodeId, rangeNodes, type NodeId } from './node-id.js';
export {
  collapseProof,
  consistencyProof,
  consistencyProofNodes,
  foldFromRight,
  inclusionProof,
  inclusionProofNodes,
  rootAt,
  type HashReader,
  type ProofNodes,
} from './proof.js';
export {
  MemoryTileStore,
  storedTileWidth,
  TILE_HEIGHT,
  TILE_WIDTH,
  TileHashReader,
  tileBottomRow,
  tileCoordinates,
  tilePath,
  TileWriter,
  type TileCoordinates,
  type TileStore,
  type TileWrite,
} from './tiles.js';
export { type InclusionClaim, rootFromInclusionProof, verifyConsistency, verifyInclusion, verifyInclusions } from './verify.js';
