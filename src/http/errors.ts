// The one place domain and framework errors become HTTP: the CSP error body (docs/design.md §4), plus the
// RFC 6749 members on token endpoints. Never a stack trace; 500s are logged with the request id.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cspErrorCode, type ErrorName } from '../errors/catalogue.js';
import { fail, isOrgAuthError, OrgAuthError } from '../errors/errors.js';
import { requestIdFor } from './request-id.js';
import { errorPage, PAGE_HEADERS } from '../signin/page.js';
import { trackAllowedMethods } from './allowed-methods.js';

export interface CspErrorBody {
  statusCode: number;
  moduleCode: number;
  cspErrorCode: string;
  errorCode: string;
  message: string;
  requestId: string;
  error?: string;
  error_description?: string;
}

/** Route options read by the error mapper. */
export interface RouteErrorStyle {
  /** Token endpoints: add RFC 6749 `error`/`error_description`. */
  oauthErrors?: boolean;
  /** The seed's `{}` body: say so when the body is wrong. */
  emptyObjectBody?: boolean;
  /** Pages a person sees in a browser (the authorization endpoint): an HTML error page. */
  htmlPage?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig extends RouteErrorStyle {}
}

const FRAMEWORK_CODES: Readonly<Record<string, ErrorName>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'NOT_FOUND',
  FST_ERR_MAX_PARAM_LENGTH: 'NOT_FOUND',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST',
};

const BY_STATUS: Readonly<Record<number, ErrorName>> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'TOO_MANY_REQUESTS', 503: 'SERVICE_UNAVAILABLE',
};

/** Any thrown value as a catalogue error; `undefined` when it is unexpected (a 500). */
export function asOrgAuthError(error: unknown, style: RouteErrorStyle): OrgAuthError | undefined {
  if (isOrgAuthError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation) {
    if (style.emptyObjectBody && fastifyError.validationContext === 'body') {
      return fail('BAD_REQUEST', 'request body must be the empty JSON object {}');
    }
    return fail(style.oauthErrors ? 'OAUTH_INVALID_REQUEST' : 'BAD_REQUEST', validationMessage(fastifyError));
  }
  const byCode = fastifyError.code ? FRAMEWORK_CODES[fastifyError.code] : undefined;
  if (byCode === 'MALFORMED_JSON' || (error instanceof SyntaxError && fastifyError.statusCode === 400)) {
    // Never echo the parser's message: it quotes the body, which may hold a secret.
    return fail(style.oauthErrors ? 'OAUTH_INVALID_REQUEST' : 'MALFORMED_JSON', 'The request body is not valid JSON');
  }
  // A path id longer than any id can be names nothing: not found, as CSP answers for unknown ids.
  if (fastifyError.code === 'FST_ERR_MAX_PARAM_LENGTH') return fail('NOT_FOUND', 'No resource has an id this long');
  if (byCode === 'BAD_REQUEST' && style.emptyObjectBody) return fail('BAD_REQUEST', 'request body must be the empty JSON object {}');
  if (byCode) return fail(byCode);
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return fail(BY_STATUS[status] ?? 'BAD_REQUEST');
  return undefined;
}

export function errorBody(error: OrgAuthError, requestId: string, style: RouteErrorStyle): CspErrorBody {
  const { entry } = error;
  const body: CspErrorBody = {
    statusCode: entry.status,
    moduleCode: entry.moduleCode,
    cspErrorCode: cspErrorCode(entry),
    errorCode: entry.errorCode,
    message: error.message,
    requestId,
  };
  if (style.oauthErrors) {
    body.error = entry.oauthError ?? (entry.status === 401 ? 'invalid_client' : entry.status >= 500 ? 'server_error' : 'invalid_request');
    body.error_description = error.message;
  }
  return body;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const style: RouteErrorStyle = request.routeOptions.config ?? {};
  let known = asOrgAuthError(error, style);
  if (!known) {
    request.log.error({ err: error }, 'unexpected error');
    known = fail('SERVICE_ERROR');
  }
  if (style.htmlPage) {
    const status = known.entry.status;
    const title = status === 429 ? 'Too many attempts' : status >= 500 ? 'Something went wrong' : 'Sign-in is not possible';
    return reply.code(status).headers({ ...PAGE_HEADERS, ...known.headers, 'x-request-id': request.id }).send(errorPage(title, known.message, request.id));
  }
  const body = errorBody(known, request.id, style);
  // Framework errors (bad URL, over-long path segment) arrive before the onRequest hook that sets it.
  reply.header('x-request-id', request.id);
  if (style.oauthErrors) {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (body.error === 'invalid_client') reply.header('www-authenticate', 'Basic realm="orgauth", charset="UTF-8"');
  }
  return reply.code(known.entry.status).headers(known.headers).type('application/json; charset=utf-8').send(body);
}

export function registerErrorHandling(app: FastifyInstance): void {
  const allowedMethods = trackAllowedMethods(app);
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      return sendError(request, reply, fail('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`, { allow: allowed.join(', ') }));
    }
    return sendError(request, reply, fail('NOT_FOUND', `No resource at ${request.method} ${path.slice(0, 200)}`));
  });
}

/**
 * Fastify's `frameworkErrors`: a URL that does not decode (`%ff`) or a path parameter over
 * maxParamLength would otherwise get Fastify's own body instead of the CSP one.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(request, reply, error);
}

/**
 * Node's `clientError`: a request the HTTP parser refuses (unknown method, bytes not allowed in a
 * path, broken chunked encoding, headers over the limit) never becomes a Fastify request, so the
 * CSP body is written on the socket here, with a fresh request id in the body and the header.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = error.code === 'HPE_HEADER_OVERFLOW' ? fail('HEADERS_TOO_LARGE')
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? fail('REQUEST_TIMEOUT')
      : fail('BAD_REQUEST', 'The HTTP request is malformed');
  const requestId = randomUUID().replaceAll('-', '');
  const body = JSON.stringify(errorBody(known, requestId, {}));
  this.log.debug({ requestId, code: error.code }, 'malformed HTTP request');
  // Never write into the middle of a response already under way on this socket (Node's rule too);
  // a request whose body broke off mid-way has no response started yet and does get this one.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(`HTTP/1.1 ${known.entry.status} ${STATUS_TEXT[known.entry.status] ?? 'Bad Request'}\r\n`
      + `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * Node's `checkExpectation`: an `Expect` other than 100-continue is answered 417 by Node itself,
 * before Fastify sees the request; this gives that answer the CSP body and a request id.
 */
export function expectationFailedHandler(request: IncomingMessage, response: ServerResponse): void {
  const requestId = requestIdFor(request);
  const body = JSON.stringify(errorBody(fail('EXPECTATION_FAILED'), requestId, {}));
  response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, connection: 'close' });
  response.end(body);
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function validationMessage(error: Partial<FastifyError>): string {
  // Fastify's messages name the field ("body/grantTypes must NOT have fewer than 1 items") and never quote values.
  return (error.message ?? 'The request is invalid').slice(0, 500);
}
