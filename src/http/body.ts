// Request bodies as text: UTF-8 only (SPEC §1), so invalid bytes are a malformed body, not U+FFFD in stored data.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or undefined when it is not valid UTF-8. */
export function utf8Text(body: Buffer | string): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

