/**
 * Signed runs: key pairs and run-record signatures (docs/cluster.md, "Trust").
 *
 * Where you are: `trust/`, the folder's entry point; `sdk/index.ts` re-exports it.
 */
export {
  keyId,
  readSigningKey,
  readTrustedKey,
  readTrustedKeys,
  writeKeyPair,
  type KeyPairFiles,
} from "./signing-keys.js";
export {
  canonicalJson,
  signRunRecord,
  signedBytes,
  verifyRunRecord,
  type RefusalReason,
  type RunSignature,
  type RunVerification,
} from "./run-signature.js";
