/** Order ids are UUID version 7 (RFC 9562): they sort by creation time, so the newest orders come first in a query. */
import { randomBytes } from "node:crypto";

/** A new UUIDv7: 48 bits of Unix milliseconds, then version, variant and random bits. */
export function newOrderId(nowMs = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes.writeUInt8(((bytes.readUInt8(6) & 0x0f) | 0x70) >>> 0, 6);
  bytes.writeUInt8(((bytes.readUInt8(8) & 0x3f) | 0x80) >>> 0, 8);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
