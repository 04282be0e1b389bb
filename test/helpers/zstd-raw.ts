/**
 * Writes a valid Zstandard frame made of raw (stored) blocks: any zstd decoder reads it. Tests use it
 * to build `.zst` fixtures with chosen content (bad records, many frames) without a compressor; the
 * shipped datasets are compressed for real by `zstd`.
 */
const MAX_BLOCK = 128 * 1024;

export function zstdRawFrame(content: Uint8Array | string): Buffer {
  const data = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
  // Magic number, then a frame header: single segment, 4-byte content size, no checksum, no dictionary.
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header.writeUInt8(0xa0, 4);
  header.writeUInt32LE(data.length, 5);
  const blocks: Buffer[] = [];
  let offset = 0;
  do {
    const size = Math.min(MAX_BLOCK, data.length - offset);
    const last = offset + size >= data.length ? 1 : 0;
    const blockHeader = Buffer.alloc(3);
    // Block_Header: bit 0 last block, bits 1-2 type (0 = raw), bits 3-23 size.
    blockHeader.writeUIntLE(last | (0 << 1) | (size << 3), 0, 3);
    blocks.push(blockHeader, data.subarray(offset, offset + size));
    offset += size;
  } while (offset < data.length);
  return Buffer.concat([header, ...blocks]);
}
