// Failed sign-ins are budgeted per username and per address (RATE_LIMIT_SIGNIN_FAILURES): a
// password guesser is stopped on one account from many addresses and on many accounts from one
// address, while the account's owner elsewhere and other people from other addresses are not.
// Addresses come from X-Forwarded-For behind a trusted proxy (ORGAUTH_TRUST_PROXY).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrapAdmin, startServer, type Admin, type TestServer } from './helpers/index.js';
import { authorizeQuery, createSignInApp, newPassword, pkcePair, PlainBrowser, setPassword } from './helpers/signin.js';

let server: TestServer;
let admin: Admin;
let clientId: string;

before(async () => {
  server = await startServer({ env: { RATE_LIMIT_SIGNIN_FAILURES: '3/600', ORGAUTH_TRUST_PROXY: '127.0.0.1' } });
  admin = await bootstrapAdmin(server);
  clientId = (await createSignInApp(server, admin.accessToken, admin.orgId)).clientId;
});

after(async () => {
  await server?.stop();
});

async function person(): Promise<{ username: string; password: string }> {
  const username = `person-${Math.random().toString(36).slice(2)}@example.com`;
  await server.cli(['user', 'add', '--org', admin.orgId, '--username', username, '--role', 'org_member']);
  const password = newPassword();
  await setPassword(server, username, password);
  return { username, password };
}

const from = (address: string) => new PlainBrowser(server, { 'x-forwarded-for': address });
const attempt = (address: string, username: string, password: string) => from(address).signIn(authorizeQuery(clientId, pkcePair()), username, password);

describe('failed sign-ins', () => {
  it('per username: after 3 failures from three addresses the right password is refused too (429 page, Retry-After)', async () => {
    const victim = await person();
    for (const address of ['10.0.1.1', '10.0.1.2', '10.0.1.3']) assert.equal((await attempt(address, victim.username, 'wrong wrong wrong')).status, 401);
    const blocked = await attempt('10.0.1.4', victim.username, victim.password);
    assert.equal(blocked.status, 429);
    assert.match(blocked.headers.get('content-type') ?? '', /text\/html/);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.equal(blocked.headers.get('location'), null);
    assert.match(blocked.text, /Too many failed sign-ins/);
    // Another person from the same fresh address is not affected.
    const other = await person();
    assert.equal((await attempt('10.0.1.4', other.username, other.password)).status, 303);
  });

  it('per address: after 3 failures on three accounts, that address is refused; another address is not', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await attempt('10.0.2.1', `nobody${i}@example.com`, 'wrong wrong wrong')).status, 401);
    const someone = await person();
    assert.equal((await attempt('10.0.2.1', someone.username, someone.password)).status, 429);
    assert.equal((await attempt('10.0.2.2', someone.username, someone.password)).status, 303);
  });

  it('successful sign-ins never use up the budget', async () => {
    const regular = await person();
    for (let i = 0; i < 5; i++) assert.equal((await attempt('10.0.3.1', regular.username, regular.password)).status, 303);
  });
});
