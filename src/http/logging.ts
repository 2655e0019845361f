// The logger: pino JSON lines, one per request, carrying the request id. Credentials never reach it:
// headers are not logged and sensitive query parameters are masked in the URL.
import pino, { type Logger } from 'pino';

/** Query parameters whose values are credentials (the deprecated `?refresh_token=` shape sends one). */
const SENSITIVE_PARAMS = new Set(['access_token', 'refresh_token', 'api_token', 'id_token', 'token', 'client_secret', 'secret', 'password', 'passcode', 'code', 'code_verifier', 'assertion', 'client_assertion', 'subject_token', 'actor_token'].map(normalisedName));

/**
 * A parameter name as a lenient parser might read it: percent- and plus-decoded, lower case, array
 * brackets and every character but letters and digits dropped (`Refresh_Token[]`, `client_secret%`,
 * `client-secret` all name the same credential).
 */
export function normalisedName(name: string): string {
  let decoded = name.replace(/\+/g, ' ');
  try { decoded = decodeURIComponent(decoded); } catch { /* keep what decodes */ }
  return decoded.toLowerCase().replace(/\[[^\]]*\]/g, '').replace(/[^a-z0-9]/g, '');
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'orgauth' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Belt and braces: if a request or error object is ever logged whole, these paths are masked.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["csp-auth-token"]', 'req.headers.cookie', 'headers.authorization', 'body', 'req.body', '*.client_secret', '*.api_token', '*.refresh_token', '*.clientSecret', '*.secret', '*.newClientSecret'],
      censor: '[REDACTED]',
    },
  });
}

/**
 * The logger of the one line per request (server.ts). That line holds only scalars the server
 * picks (method, the masked URL, route, status, time, caller, address), so no redaction path above
 * can match it; checking every field of every line for those paths was most of the cost of
 * logging at info on the token endpoint (bench/README.md). Anything else goes through `logger`.
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** The URL with the values of credential-like query parameters replaced. */
export function maskedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return eq >= 0 && SENSITIVE_PARAMS.has(normalisedName(name)) ? `${name}=[REDACTED]` : pair;
  });
  return `${url.slice(0, q)}?${params.join('&')}`;
}
