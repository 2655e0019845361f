// The logger: pino JSON lines, one per request, carrying the request id. Credentials never reach it:
// headers are not logged and sensitive query parameters are masked in the URL.
import pino, { type Bindings, type ChildLoggerOptions, type LogFn, type Logger } from 'pino';
import type { FastifyBaseLogger } from 'fastify';

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

/** Request lines are written in blocks of about this many bytes (some 16 lines)… */
export const REQUEST_LOG_BLOCK_BYTES = 4096;
/** …and at least this often while any is waiting, so a quiet server's lines still appear within it. */
export const REQUEST_LOG_FLUSH_MS = 200;

export interface RequestLog {
  readonly logger: Logger;
  /** Resolves once every line so far is written (at shutdown; at most FLUSH_WAIT_MS). */
  flush(): Promise<void>;
}

/** How long a shutdown waits for the request lines still to be written. */
const FLUSH_WAIT_MS = 2000;

/**
 * The logger of the one line per request (server.ts), on its own stream to the same standard
 * output. Its lines are written in blocks: pino's default stream hands every write to libuv's
 * thread pool, the threads that sign tokens, and wakes one of them for a line or two each time; in
 * blocks of some 16 lines the pool and the event loop see a sixteenth of those jobs (paired runs:
 * about 30 µs less CPU per token at `info`). A line therefore appears within REQUEST_LOG_FLUSH_MS; a process
 * killed outright (SIGKILL) loses at most that much of them, and every other line (warnings, errors)
 * is written at once by `logger`. The line holds only scalars the server picks (method, the masked
 * URL, route, status, time, caller, address), so no redaction path can match it and none is checked.
 */
export function createRequestLog(level: string): RequestLog {
  const stream = pino.destination({ dest: 1, sync: false, minLength: REQUEST_LOG_BLOCK_BYTES, periodicFlush: REQUEST_LOG_FLUSH_MS });
  const logger = pino({ level, base: { service: 'orgauth' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    logger,
    flush: () => new Promise<void>((resolve) => {
      // A block may be on its way through the pool: wait for it and what follows, not only what is buffered.
      const timer = setTimeout(resolve, FLUSH_WAIT_MS);
      stream.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
  };
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

/**
 * Fastify's per-request logger (request.log), made when the request first uses it: the line per
 * request is written by the request log above, and request.log serves only a rare warning or error,
 * while a pino child made for every request (its bindings run through the redaction paths) took
 * about 2 % of an introspection's event loop in a perf profile.
 */
export function lazyRequestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const made = (): FastifyBaseLogger => (child ??= parent.child(bindings, options));
  const at = (level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'): LogFn =>
    ((...args: Parameters<LogFn>) => made()[level](...args)) as LogFn;
  return {
    // A route's own log level makes the child differ from its parent from the start.
    get level() { return child?.level ?? options.level ?? parent.level; },
    set level(level) { made().level = level; },
    fatal: at('fatal'), error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'), silent: at('silent'),
    child: (childBindings, childOptions) => made().child(childBindings, childOptions),
  };
}
