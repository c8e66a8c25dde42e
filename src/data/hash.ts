import { createHash } from "node:crypto";

/** sha256 of text (as UTF-8) or bytes, as lowercase hex: the form pinned checksums are written in. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
