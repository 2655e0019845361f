// The ceiling: a bare node:http server. POST /token signs a JWT shaped like orgauth's access token
// with a prepared 2048-bit RSA KeyObject (crypto.sign with a callback, so RSA runs on the libuv
// pool) and returns a token response; GET /hello returns "hello". No validation at all.
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import { fullClaims } from '../claims.js';

const port = Number(process.env.PORT ?? 0);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const issuer = `http://127.0.0.1:${port}/csp/gateway/am/api`;
const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'ceiling-key-1' })).toString('base64url');

function clientIdOf(req: http.IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Basic ')) return 'anonymous';
  const decoded = Buffer.from(auth.slice(6), 'base64').toString();
  return decodeURIComponent(decoded.slice(0, Math.max(0, decoded.indexOf(':'))));
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/hello') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/token') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const payload = Buffer.from(JSON.stringify(fullClaims(issuer, clientIdOf(req)))).toString('base64url');
    const signingInput = `${header}.${payload}`;
    sign('sha256', Buffer.from(signingInput), privateKey, (err, sig) => {
      if (err) {
        res.writeHead(500).end();
        return;
      }
      const body = JSON.stringify({
        access_token: `${signingInput}.${sig.toString('base64url')}`,
        token_type: 'bearer',
        expires_in: 600,
        scope: 'csp:developer',
      });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
