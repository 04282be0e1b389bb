/**
 * `matrix keygen --out PREFIX`: writes an ed25519 key pair for signed runs, `PREFIX.key` (private,
 * mode 0600) and `PREFIX.pub`, and prints where they went and the key's fingerprint.
 *
 * Where you are: `cli/`, loaded only when `matrix keygen` runs (flags in program.ts). The keys are
 * made by Node's crypto (sdk/trust/signing-keys.ts).
 */
import { writeKeyPair } from "../trust/signing-keys.js";
import type { CliIo } from "./cli-io.js";
import type { KeygenFlags } from "./program.js";

export async function command(flags: KeygenFlags, io: CliIo): Promise<number> {
  const files = writeKeyPair(flags.out);
  io.stdout(
    `private key ${files.privateKey}  (drivers: --signing-key, MATRIX_SIGNING_KEY; keep it secret)\n` +
      `public key  ${files.publicKey}  (workers: --trusted-keys, MATRIX_TRUSTED_KEYS)\n` +
      `key id      ${files.keyId}\n`,
  );
  return 0;
}
