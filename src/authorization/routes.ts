// HTTP for the authorization endpoint at CSP's path, GET /csp/gateway/discovery: the sign-in page
// for a person without a session, a redirect with a code for one with a session, and the POST of
// the sign-in form. Errors before the client and redirect URI are known are pages, never redirects.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { BASE_PATH } from '../config.js';
import { fail } from '../errors/errors.js';
import type { Services } from '../runtime.js';
import { createFailureBudget, type Reservation } from '../http/failure-budget.js';
import { PAGE_HEADERS, signInPage } from '../signin/page.js';
import { checkPassword, currentSession, endSession, startSession, type Session } from '../signin/service.js';
import {
  clearCookie, csrfKey, csrfToken, csrfTokenMatches, LOGIN_COOKIE, LOGIN_NONCE_TTL_SECONDS, newRandomId, readCookie,
  SESSION_COOKIE, SESSION_TTL_SECONDS, setCookie,
} from '../signin/sessions.js';
import { redirectWith } from './redirect-uri.js';
import {
  AUTHORIZATION_PARAMS, AuthorizationRedirectError, chooseOrganization, issueCode, validateAuthorizationRequest, type AuthorizationRequest,
} from './service.js';

export const AUTHORIZATION_PATH = '/csp/gateway/discovery';

export { publicBaseUrl } from '../console/client.js';

const WRONG_CREDENTIALS = 'Wrong username or password.';

export async function authorizationRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  await scope.register(formbody);
  const { config } = services;
  const cookieOptions = { secure: config.issuer.startsWith('https:') };
  const csrf = csrfKey(services.masterKey);
  const failures = createFailureBudget(config.rateLimits.signInFailures, services.redis, services.metrics);
  const routeConfig = { htmlPage: true };

  /** The sign-in form, bound to this browser's login nonce (a new one when it has none). */
  const showSignIn = (request: FastifyRequest, reply: FastifyReply, params: Record<string, string>, status: number, extra: { error?: string; username?: string } = {}) => {
    let nonce = readCookie(request.headers.cookie, LOGIN_COOKIE);
    if (!nonce) {
      nonce = newRandomId();
      reply.header('set-cookie', setCookie(LOGIN_COOKIE, nonce, LOGIN_NONCE_TTL_SECONDS, cookieOptions));
    }
    const authRequest = request.authorizationRequest;
    return reply.code(status).headers(PAGE_HEADERS).send(signInPage({
      action: AUTHORIZATION_PATH, hidden: params, csrfToken: csrfToken(csrf, nonce), appName: authRequest?.client.displayName ?? '', ...extra,
    }));
  };

  /** The end of a successful authorization: a code, back to the client (RFC 6749 §4.1.2, RFC 9207 `iss`). */
  const finish = async (reply: FastifyReply, authRequest: AuthorizationRequest, session: Session, status: 302 | 303) => {
    const orgId = await chooseOrganization(services.authorization, authRequest, session.username);
    const code = await issueCode(services.authorization, authRequest, session, orgId);
    return redirect(reply, status, redirectWith(authRequest.redirectUri, { code, state: authRequest.state, iss: config.issuer }));
  };

  const redirect = (reply: FastifyReply, status: 302 | 303, location: string) =>
    reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache', 'referrer-policy': 'no-referrer', location }).send();

  /** Errors after the redirect URI is known go back to the client with `error`, `state` and `iss`. */
  const withRedirectErrors = async (reply: FastifyReply, status: 302 | 303, work: () => Promise<FastifyReply>) => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof AuthorizationRedirectError)) throw error;
      return redirect(reply, status, redirectWith(error.redirectUri, { error: error.error, error_description: error.description, state: error.state, iss: config.issuer }));
    }
  };

  scope.get(AUTHORIZATION_PATH, {
    config: routeConfig,
    schema: {
      tags: ['Authentication'], operationId: 'getDiscovery', summary: 'Authorization endpoint: sign a person in and return a code',
      description: 'CSP\'s authorization endpoint (browser redirection only). Query: `client_id`, `redirect_uri`, `state`, `orgId` (or the deprecated `orgLink`), `scope`, `nonce`, `code_challenge`, `code_challenge_method` (S256), `response_type` (default `code`). Without a session: the sign-in page. With one: a redirect to `redirect_uri` with `code`, `state` and `iss`.',
    },
  }, async (request, reply) => withRedirectErrors(reply, 302, async () => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const authRequest = await validateAuthorizationRequest(services.authorization, raw);
    request.authorizationRequest = authRequest;
    const session = await currentSession(services.signin, readCookie(request.headers.cookie, SESSION_COOKIE));
    if (session) return finish(reply, authRequest, session, 302);
    return showSignIn(request, reply, carried(raw), 200);
  }));

  scope.post(AUTHORIZATION_PATH, {
    config: routeConfig,
    schema: { tags: ['Authentication'], operationId: 'postDiscovery', summary: 'Submit the sign-in form (from the page the authorization endpoint shows)', consumes: ['application/x-www-form-urlencoded'] },
  }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const nonce = readCookie(request.headers.cookie, LOGIN_COOKIE);
    if (!csrfTokenMatches(csrf, nonce, single(body.csrf_token))) throw fail('SIGNIN_FORM_EXPIRED');
    return withRedirectErrors(reply, 303, async () => {
      const authRequest = await validateAuthorizationRequest(services.authorization, body);
      request.authorizationRequest = authRequest;
      const username = (single(body.username) ?? '').trim().slice(0, 256);
      const password = single(body.password) ?? '';
      const params = carried(body);
      if (!username || !password) return showSignIn(request, reply, params, 400, { error: WRONG_CREDENTIALS, username });

      const keys = [`signin:user:${username.toLowerCase()}`, `signin:addr:${request.ip}`];
      const held: Array<{ key: string; reservation: Reservation }> = [];
      for (const key of keys) {
        const result = await failures.reserve(key);
        if ('retryAfter' in result) {
          await Promise.all(held.map((h) => failures.settle(h.key, h.reservation, false)));
          throw fail('SIGNIN_TOO_MANY_FAILURES', `Too many failed sign-ins; try again in ${result.retryAfter} seconds`, { 'retry-after': String(result.retryAfter) });
        }
        if ('reserved' in result) held.push({ key, reservation: result.reserved });
      }
      let ok = false;
      try {
        ok = await checkPassword(services.signin, username, password);
      } finally {
        await Promise.all(held.map((h) => failures.settle(h.key, h.reservation, !ok)));
      }
      if (!ok) {
        request.log.info({ event: 'signin.failed' }, 'sign-in failed');
        return showSignIn(request, reply, params, 401, { error: WRONG_CREDENTIALS, username });
      }
      // A new session id at every sign-in; whatever session cookie the browser had is ended.
      await endSession(services.signin, readCookie(request.headers.cookie, SESSION_COOKIE));
      const { sessionId, session } = await startSession(services.signin, username);
      reply.header('set-cookie', [
        setCookie(SESSION_COOKIE, sessionId, SESSION_TTL_SECONDS, cookieOptions),
        clearCookie(LOGIN_COOKIE, cookieOptions),
      ]);
      return finish(reply, authRequest, session, 303);
    });
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    authorizationRequest?: AuthorizationRequest;
  }
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The authorization request's parameters, to carry through the sign-in form. */
function carried(raw: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of AUTHORIZATION_PARAMS) {
    const value = raw[name];
    if (typeof value === 'string') params[name] = value;
  }
  return params;
}
