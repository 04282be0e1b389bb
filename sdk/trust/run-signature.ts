/**
 * Signing and verifying run records: the driver signs the canonical serialization of the whole record
 * (run id, creation time, definition with its inline functions, module bundles' sha256 refs, LLM
 * selection, bus settings); a worker verifies it before it evaluates any of the run's code.
 *
 * Where you are: `trust/`. The serialization is RFC 8785 (JSON Canonicalization Scheme, the
 * `canonicalize` package), so the bytes signed do not depend on key order or on which machine
 * serialized them; a fixed prefix keeps a run signature from being valid for anything else.
 * A refusal is a value (`{ ok: false, reason }`), not a throw: a worker logs it and goes on.
 */
import { sign, verify, type KeyObject } from "node:crypto";
import canonicalizeModule from "canonicalize";
import { keyId } from "./signing-keys.js";

/** Stored in the run record's `signature` field. */
export interface RunSignature {
  alg: "ed25519";
  /** Fingerprint of the signing key (see `keyId`). */
  keyId: string;
  /** Base64 of the 64-byte ed25519 signature. */
  value: string;
}

export type RefusalReason = "unsigned" | "untrusted-key" | "bad-signature";

export type RunVerification =
  { ok: true; keyId: string } | { ok: false; reason: RefusalReason; keyId?: string; message: string };

const DOMAIN = "matrix-ts run record v1\n";

type Canonicalize = (value: unknown) => string | undefined;
/**
 * canonicalize 2.x is CommonJS (`module.exports = serialize`) with an ESM-style declaration, so the
 * default import is the function at run time (Node ESM, and tslab's CommonJS with esModuleInterop)
 * while TypeScript sees a namespace; 3.x+ are ESM-only (no `require`) or want node 22.
 */
const canonicalize: Canonicalize =
  (canonicalizeModule as unknown as { default?: Canonicalize }).default ??
  (canonicalizeModule as unknown as Canonicalize);

/** RFC 8785 text of a JSON value: equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  // Through JSON first: what a reader parses from JSON has no undefined fields.
  return canonicalize(JSON.parse(JSON.stringify(value))) ?? "null";
}

/** The bytes a run signature covers: everything in the record but the signature itself. */
export function signedBytes(record: object): Buffer {
  const { signature: _signature, ...rest } = record as { signature?: unknown };
  return Buffer.from(DOMAIN + canonicalJson(rest), "utf8");
}

export function signRunRecord(record: object, privateKey: KeyObject): RunSignature {
  return {
    alg: "ed25519",
    keyId: keyId(privateKey),
    value: sign(null, signedBytes(record), privateKey).toString("base64"),
  };
}

/**
 * Checks `record.signature` against `trusted`. The key is found by fingerprint; the signature must
 * verify over the record as received, so any change (a function's source, a module ref, the LLM
 * selection, the run id) makes it a bad signature.
 */
export function verifyRunRecord(record: object, trusted: readonly KeyObject[]): RunVerification {
  const signature = (record as { signature?: Partial<RunSignature> }).signature;
  if (signature === undefined || signature === null)
    return { ok: false, reason: "unsigned", message: "the run is not signed" };
  if (signature.alg !== "ed25519" || typeof signature.keyId !== "string" || typeof signature.value !== "string")
    return { ok: false, reason: "bad-signature", message: "the run's signature is malformed" };
  const key = trusted.find((candidate) => keyId(candidate) === signature.keyId);
  if (key === undefined)
    return {
      ok: false,
      reason: "untrusted-key",
      keyId: signature.keyId,
      message: `the run is signed by ${signature.keyId}, which is not among this worker's trusted keys`,
    };
  let valid = false;
  try {
    valid = verify(null, signedBytes(record), key, Buffer.from(signature.value, "base64"));
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true, keyId: signature.keyId }
    : {
        ok: false,
        reason: "bad-signature",
        keyId: signature.keyId,
        message: `the run's signature by ${signature.keyId} does not match its content (changed after signing?)`,
      };
}
