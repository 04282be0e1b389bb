/**
 * Run signatures: a record signed by a trusted key verifies; an unsigned one, one signed by another
 * key, and one changed after signing (a function's source, a module ref, the LLM selection) do not.
 * Keys written by `writeKeyPair` read back; bad key files give SigningKeyError naming the file.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SigningKeyError } from "../../sdk/errors.js";
import {
  keyId,
  readSigningKey,
  readTrustedKeys,
  signRunRecord,
  verifyRunRecord,
  writeKeyPair,
} from "../../sdk/trust/index.js";
import { tempDir } from "../helpers/temp-dir.js";

const record = () => ({
  runId: "run-1",
  created: 1_700_000_000_000,
  definition: { name: "p", roles: { a: { kind: "code", fn: { fn: "(task) => ({})" } } }, options: {} },
  modules: { helpers: { path: "h.ts", ref: "sha256:ab", bytes: 10 } },
  llm: { kind: "endpoints", endpoints: [{ baseUrl: "http://gpu1:8000/v1" }] },
  bus: { offloadThreshold: 16384 },
  driver: { host: "h", pid: 1 },
});

describe("run signatures", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const other = generateKeyPairSync("ed25519");

  it("a signed record verifies with the trusted key, whatever the key order of its JSON", () => {
    const signed = { ...record(), signature: signRunRecord(record(), privateKey) };
    expect(verifyRunRecord(signed, [other.publicKey, publicKey])).toEqual({ ok: true, keyId: keyId(publicKey) });
    // Same content, keys in another order (another serializer): still valid.
    const reordered = JSON.parse(JSON.stringify({ signature: signed.signature, ...record() }));
    expect(Object.keys(reordered)[0]).toBe("signature");
    expect(verifyRunRecord(reordered, [publicKey]).ok).toBe(true);
  });

  it("refuses unsigned records, untrusted keys and any change after signing", () => {
    expect(verifyRunRecord(record(), [publicKey])).toMatchObject({ ok: false, reason: "unsigned" });
    const byOther = { ...record(), signature: signRunRecord(record(), other.privateKey) };
    expect(verifyRunRecord(byOther, [publicKey])).toMatchObject({
      ok: false,
      reason: "untrusted-key",
      keyId: keyId(other.publicKey),
    });
    const signature = signRunRecord(record(), privateKey);
    const changes: Array<(r: ReturnType<typeof record>) => void> = [
      (r) => (r.definition.roles.a.fn.fn = "(task) => require('fs')"),
      (r) => (r.modules.helpers.ref = "sha256:cd"),
      (r) => (r.llm.endpoints[0]!.baseUrl = "http://evil:8000/v1"),
      (r) => (r.runId = "run-2"),
      (r) => (r.created += 1),
    ];
    for (const change of changes) {
      const changed = record();
      change(changed);
      expect(verifyRunRecord({ ...changed, signature }, [publicKey])).toMatchObject({
        ok: false,
        reason: "bad-signature",
      });
    }
    expect(verifyRunRecord({ ...record(), signature: { ...signature, value: "AAAA" } }, [publicKey])).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
    expect(verifyRunRecord({ ...record(), signature: { alg: "rsa" } }, [publicKey])).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("writeKeyPair writes a 0600 private key and a .pub public key that read back and sign/verify", () => {
    const dir = tempDir();
    const files = writeKeyPair(join(dir, "driver"));
    expect(files.publicKey).toContain("pub");
    expect(statSync(files.privateKey).mode & 0o077).toBe(0);
    const signingKey = readSigningKey(files.privateKey);
    const trusted = readTrustedKeys(`${files.publicKey}`);
    expect(keyId(trusted[0]!)).toBe(files.keyId);
    const signed = { ...record(), signature: signRunRecord(record(), signingKey) };
    expect(verifyRunRecord(signed, trusted)).toEqual({ ok: true, keyId: files.keyId });
    // PEM text works as well as a path (MATRIX_SIGNING_KEY in a Kubernetes secret).
    expect(keyId(readSigningKey(readFileSync(files.privateKey, "utf8")))).toBe(files.keyId);
    expect(() => writeKeyPair(join(dir, "driver"))).toThrow(/already exists/);
  });

  it("bad key files are SigningKeyErrors naming the file", () => {
    const dir = tempDir();
    const junk = join(dir, "junk.pub");
    writeFileSync(junk, "not a key");
    const rsa = join(dir, "rsa.pub");
    writeFileSync(
      rsa,
      generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }),
    );
    for (const [load, file] of [
      [() => readTrustedKeys(`${junk}`), junk],
      [() => readTrustedKeys(`${rsa}`), rsa],
      [() => readSigningKey(join(dir, "missing.key")), join(dir, "missing.key")],
    ] as const) {
      const error = (() => {
        try {
          load();
        } catch (e) {
          return e;
        }
      })();
      expect(SigningKeyError.isInstance(error)).toBe(true);
      expect((error as SigningKeyError).file).toBe(file);
    }
    expect(readTrustedKeys(undefined)).toEqual([]);
    expect(readTrustedKeys("")).toEqual([]);
  });
});
