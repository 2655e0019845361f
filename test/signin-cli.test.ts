// `orgauth user set-password` and `orgauth user add --password-stdin`: the password comes from
// standard input (first line), meets the rules, and is what the sign-in page then accepts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrapAdmin, startServer, type Admin, type TestServer } from './helpers/index.js';
import { authorizeQuery, createSignInApp, newPassword, pkcePair, PlainBrowser } from './helpers/signin.js';

let server: TestServer;
let admin: Admin;
let clientId: string;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
  clientId = (await createSignInApp(server, admin.accessToken, admin.orgId)).clientId;
});

after(async () => {
  await server?.stop();
});

const signIn = (username: string, password: string) => new PlainBrowser(server).signIn(authorizeQuery(clientId, pkcePair()), username, password);

describe('orgauth user set-password', () => {
  it('reads the first line of standard input; --json prints {"username"}; the person can then sign in', async () => {
    const password = newPassword();
    server.rememberSecret(password, 'clientSecret');
    const r = await server.cliRaw(['user', 'set-password', '--username', admin.username, '--json'], `${password}\nsecond line ignored\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { username: admin.username });
    assert.equal((await signIn(admin.username, password)).status, 303);
    assert.equal((await signIn(admin.username, `${password}\nsecond line ignored`)).status, 401);
  });

  it('a new password replaces the old one, which stops working', async () => {
    const first = newPassword();
    const second = newPassword();
    for (const p of [first, second]) {
      server.rememberSecret(p, 'clientSecret');
      assert.equal((await server.cliRaw(['user', 'set-password', '--username', admin.username], `${p}\n`)).code, 0);
    }
    assert.equal((await signIn(admin.username, first)).status, 401);
    assert.equal((await signIn(admin.username, second)).status, 303);
  });

  it('refuses a short password, one containing the username, empty input and an unknown user (exit 1, one line and one JSON failure, no echo)', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [admin.username, 'Short1!', /at least 12 characters/],
      [admin.username, `my ${admin.username} pass`, /must not contain the username/],
      [admin.username, '', /at least 12 characters/],
      ['ghost@example.com', newPassword(), /not found/],
    ];
    for (const [username, password, message] of cases) {
      const r = await server.cliRaw(['user', 'set-password', '--username', username, '--json'], `${password}\n`);
      assert.equal(r.code, 1, `${username}: ${r.stdout}`);
      assert.match(r.stderr, message);
      // With --json the failure is also one {error, message} object on stdout.
      const failure = JSON.parse(r.stdout) as { error: string; message: string };
      assert.match(failure.message, message);
      assert.equal(typeof failure.error, 'string');
      if (password) assert.equal(r.stdout.includes(password), false, 'the password is never echoed');
      if (password) assert.equal(r.stderr.includes(password), false, 'the password is never echoed');
    }
  });
});

describe('orgauth user add --password-stdin', () => {
  it('adds the membership and sets the password at once', async () => {
    const password = newPassword();
    server.rememberSecret(password, 'clientSecret');
    const r = await server.cliRaw(['user', 'add', '--org', admin.orgId, '--username', 'newcomer@example.com', '--role', 'org_member', '--password-stdin', '--json'], `${password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { username: 'newcomer@example.com', orgId: admin.orgId, roles: ['org_member'] });
    assert.equal((await signIn('newcomer@example.com', password)).status, 303);
  });

  it('a password that breaks the rules is refused before the membership is added', async () => {
    const r = await server.cliRaw(['user', 'add', '--org', admin.orgId, '--username', 'weak@example.com', '--role', 'org_member', '--password-stdin'], 'short\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /at least 12 characters/);
    const remove = await server.cliRaw(['user', 'remove', '--org', admin.orgId, '--username', 'weak@example.com']);
    assert.equal(remove.code, 1, 'no membership was added');
  });
});
