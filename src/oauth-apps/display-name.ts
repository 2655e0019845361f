// CSP's rule for an app's display name: letters (international included), digits, spaces and
// - _ . ' ’ : @ & — nothing that could be markup or script where the name is shown.
import { fail } from '../errors/errors.js';

// Letters with their combining marks (Devanagari, Thai… need them), decimal digits, and CSP's few signs.
const DISPLAY_NAME = /^[\p{L}\p{M}\p{Nd} \-_.'’:@&]+$/u;

export const DISPLAY_NAME_RULE = "letters (international included), digits, spaces and - _ . ' ’ : @ &";

export function checkDisplayName(displayName: string): void {
  if (!DISPLAY_NAME.test(displayName)) {
    throw fail('APP_RULE_VIOLATION', `displayName may contain only ${DISPLAY_NAME_RULE}`);
  }
}
