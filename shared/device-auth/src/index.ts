export {
  type AuthorizationReason,
  authorizationReasons,
  type DeviceAuthorization,
  formatAuthorization,
  isCredentialId,
  parseAuthorization,
  type ParseAuthorizationResult,
} from './authorization.js';
export * from './limits.js';
export {
  bucketMsDefault,
  entriesMaxDefault,
  ReplayGuard,
  type ReplayGuardOptions,
  type ReplayVerdict,
  skewMsMaxDefault,
} from './replay-guard.js';
export { bodyDigestHex, type SignedRequest, signRequest, type SignRequestInput, stringToSign, verifySignature } from './sign.js';
