// The rule a caller-supplied secret must meet (CSP's complexity pattern, plus our 256-character cap).
export const MIN_SECRET_LENGTH = 8;
export const MAX_SECRET_LENGTH = 256;

const SPECIAL = /[!@#$%^&*()_+=[\]{}|'",./:;<>?`~\\-]/;

export function meetsComplexityRule(secret: string): boolean {
  return secret.length >= MIN_SECRET_LENGTH
    && secret.length <= MAX_SECRET_LENGTH
    && /[a-z]/.test(secret)
    && /[A-Z]/.test(secret)
    && /[0-9]/.test(secret)
    && SPECIAL.test(secret)
    && !/[\u0000-\u001f\u007f]/.test(secret);
}
