// Serves the console (the single-page app built from web/ into dist/web/) at /console, same origin
// as the API it calls. Every console response carries a strict Content-Security-Policy: scripts and
// styles only from this origin, no inline code, no eval, no framing, no requests elsewhere.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { fail } from '../errors/errors.js';
import { CONSOLE_PATH } from './client.js';

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The built files, by the name they are served under. */
const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

interface Built {
  readonly index: Buffer;
  readonly assets: ReadonlyMap<string, Buffer>;
}

function readBuilt(dir: URL): Built | undefined {
  try {
    const index = fs.readFileSync(new URL('index.html', dir));
    const assets = new Map(Object.keys(ASSETS).map((name) => [name, fs.readFileSync(new URL(name, dir))]));
    return { index, assets };
  } catch {
    return undefined;
  }
}

export async function consoleRoutes(scope: FastifyInstance): Promise<void> {
  const dir = new URL('../web/', import.meta.url);
  const built = readBuilt(dir);

  scope.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) reply.header(name, value);
  });

  const sendIndex = (reply: FastifyReply) => {
    if (!built) throw fail('SERVICE_UNAVAILABLE', `The console is not built (no ${fileURLToPath(dir)}); run npm run build`);
    // The page itself holds no data, but it is never stored: a signed-out browser refetches it.
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(built.index);
  };

  // Pages and files of the console, not API operations: left out of the OpenAPI document.
  const page = { schema: { hide: true } };
  scope.get('/', page, async (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`));
  scope.get(CONSOLE_PATH, page, async (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`));
  scope.get(`${CONSOLE_PATH}/`, page, async (_request, reply) => sendIndex(reply));
  scope.get<{ Params: { name: string } }>(`${CONSOLE_PATH}/assets/:name`, page, async (request, reply) => {
    const type = ASSETS[request.params.name];
    const body = built?.assets.get(request.params.name);
    if (type === undefined || body === undefined) throw fail('NOT_FOUND', 'No such console file');
    return reply.header('cache-control', 'no-cache').type(type).send(body);
  });
  // Every other path under /console is a page of the app (deep links, the OAuth callback).
  scope.get(`${CONSOLE_PATH}/*`, page, async (_request, reply) => sendIndex(reply));
}
