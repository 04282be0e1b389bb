/**
 * Opens a text file for line reading, decompressing it by its extension: `.zst`/`.zstd` (Zstandard,
 * as DCLM and other web-scale corpora ship their shards), `.gz` (gzip), anything else as plain text.
 *
 * Where you are: `driver/`, used by the JSONL source. Node 20's zlib has no Zstandard, so `fzstd`
 * (pure JavaScript, streaming, no install step) decodes it; gzip is zlib's. A corrupt stream errors
 * the returned stream; the JSONL source turns that into a `SourceError` naming the file.
 */
import { createReadStream } from "node:fs";
import { pipeline, Transform, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";

export type Compression = "zstd" | "gzip" | "none";

export function compressionOf(path: string): Compression {
  const lower = path.toLowerCase();
  if (lower.endsWith(".zst") || lower.endsWith(".zstd")) return "zstd";
  if (lower.endsWith(".gz")) return "gzip";
  return "none";
}

/** A Transform that decodes a Zstandard stream (any number of frames) chunk by chunk. */
function zstdDecoder(): Transform {
  let decoder: Decompress;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decoder.push(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  decoder = new Decompress((data) => {
    // Copied: the decoder may reuse its window for the next block.
    if (data.length > 0) transform.push(Buffer.from(data));
  });
  return transform;
}

/** The file's text as a stream of UTF-8 chunks, decompressed by extension. A read or decode error errors it. */
export function openTextInput(path: string): Readable {
  const compression = compressionOf(path);
  const file = createReadStream(path);
  if (compression === "none") return file.setEncoding("utf8");
  const decoder = compression === "zstd" ? zstdDecoder() : createGunzip();
  // pipeline() forwards an error of either stream to the other and destroys both.
  pipeline(file, decoder, () => {});
  return decoder.setEncoding("utf8");
}
