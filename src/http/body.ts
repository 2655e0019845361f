// Request bodies as text: UTF-8 only (docs/design.md §1), so invalid bytes are a malformed body, not U+FFFD in stored data.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Deepest nesting of objects and arrays a request body may have; far beyond any real request. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when the JSON text nests objects or arrays deeper than `max`. Checked before parsing, so a
 * deeply nested body never reaches a recursive serializer (JSON.stringify of stored settings).
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The body as text, or undefined when it is not valid UTF-8. */
export function utf8Text(body: Buffer | string): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

