/**
 * Ed25519 key pairs for signing runs: generate, write (`matrix keygen --out PREFIX`), read a driver's
 * private key and a worker's trusted public keys, and name a key by its fingerprint.
 *
 * Where you are: `trust/`, tier 0 beside `schema/`: it imports only Node's `crypto` and `errors`. The
 * cryptography is Node's own (OpenSSL's ed25519), never ours. Keys are PEM files (PKCS#8 private,
 * SPKI public), so `openssl pkey -in PREFIX.key -pubout` reads them too.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SigningKeyError } from "../errors.js";

export interface KeyPairFiles {
  /** The private key: keep it on the machines that start runs (mode 0600). */
  privateKey: string;
  /** The public key: give it to workers (`--trusted-keys`). Its name contains `pub`. */
  publicKey: string;
  /** The key's fingerprint, as workers log it. */
  keyId: string;
}

/** A key as text: PEM content itself, or the path of a PEM file. */
const isPem = (value: string) => value.trimStart().startsWith("-----BEGIN");

/** `ed25519:<first 16 hex digits of sha256(SPKI DER)>`: short, stable, and safe to log. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const der = publicKey.export({ type: "spki", format: "der" });
  return `ed25519:${createHash("sha256").update(der).digest("hex").slice(0, 16)}`;
}

function readPem(source: string, what: string): { pem: string; where: string } {
  if (isPem(source)) return { pem: source, where: `${what} (inline PEM)` };
  if (!existsSync(source)) throw new SigningKeyError(source, `${what} file does not exist`);
  return { pem: readFileSync(source, "utf8"), where: source };
}

function checkEd25519(key: KeyObject, where: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519")
    throw new SigningKeyError(where, `expected an ed25519 key, got ${key.asymmetricKeyType ?? "a symmetric key"}`);
  return key;
}

/** The driver's private key, from a PEM file path or PEM text (e.g. MATRIX_SIGNING_KEY). */
export function readSigningKey(source: string | KeyObject): KeyObject {
  if (typeof source !== "string") return checkEd25519(source, "signing key");
  const { pem, where } = readPem(source, "signing key");
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new SigningKeyError(where, "is not a PEM private key (write one with `matrix keygen --out PREFIX`)", {
      cause: error,
    });
  }
  return checkEd25519(key, where);
}

/** One trusted public key. A private key file is accepted too (its public half is used). */
export function readTrustedKey(source: string | KeyObject): KeyObject {
  if (typeof source !== "string")
    return checkEd25519(source.type === "private" ? createPublicKey(source) : source, "key");
  const { pem, where } = readPem(source, "trusted key");
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new SigningKeyError(where, "is not a PEM public key (the `.pub` file `matrix keygen` wrote)", {
      cause: error,
    });
  }
  return checkEd25519(key, where);
}

/**
 * Trusted keys from a list of files (or PEM texts), or a comma-separated list as in `--trusted-keys
 * a.pub,b.pub` and MATRIX_TRUSTED_KEYS. Empty input gives an empty list (no signing enforced).
 */
export function readTrustedKeys(sources: string | readonly (string | KeyObject)[] | undefined): KeyObject[] {
  if (sources === undefined) return [];
  const list =
    typeof sources === "string"
      ? isPem(sources)
        ? [sources]
        : sources
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean)
      : sources;
  return list.map((source) => readTrustedKey(source));
}

/**
 * Writes a new key pair to `PREFIX.key` (private, mode 0600) and `PREFIX.pub` (public). Refuses to
 * overwrite an existing key: losing a private key that workers trust is not undoable.
 */
export function writeKeyPair(prefix: string): KeyPairFiles {
  const files = { privateKey: `${prefix}.key`, publicKey: `${prefix}.pub` };
  for (const file of Object.values(files))
    if (existsSync(file)) throw new SigningKeyError(file, "already exists; choose another --out or remove it first");
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(files.privateKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(files.publicKey, publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 });
  return { ...files, keyId: keyId(publicKey) };
}
