// The one error type domain code throws. Created from the catalogue; mapped to HTTP in http/errors.ts.
import { catalogue, type CatalogueEntry, type ErrorName } from './catalogue.js';

export class OrgAuthError extends Error {
  override name = 'OrgAuthError';
  readonly entry: CatalogueEntry;
  readonly errorName: ErrorName;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(errorName: ErrorName, message?: string, headers: Record<string, string> = {}) {
    const entry: CatalogueEntry = catalogue[errorName];
    super(message ?? entry.message);
    this.entry = entry;
    this.errorName = errorName;
    this.headers = headers;
  }
}

/** Throw-expression helper: `throw fail('APP_NOT_FOUND', …)` reads like the contract. */
export function fail(errorName: ErrorName, message?: string, headers?: Record<string, string>): OrgAuthError {
  return new OrgAuthError(errorName, message, headers);
}

export function isOrgAuthError(error: unknown): error is OrgAuthError {
  return error instanceof OrgAuthError;
}
