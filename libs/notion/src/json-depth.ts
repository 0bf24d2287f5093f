const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Used by the webhook intake (signed bodies) and by the gateway for API bodies.
 *
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found by
 * one pass over the bytes: no recursion and no parse, so a hostile body costs
 * what its length costs. Brackets inside strings do not count; UTF-8 needs no
 * decoding (bytes of multi-byte characters are all >= 0x80). Text that is not
 * JSON gets an answer too; the parser that follows refuses it.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
