// Rate limits (docs/design.md §7, the 429 of the Regenerate operation): per caller, separate budgets, 429 with Retry-After and the CSP body.
// Budgets are configuration; this file sets small ones through the server's RATE_LIMIT_* variables
// (`<count>/<seconds>`, see src/config.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, assertCspError, bootstrapAdmin, clientCredentials, createApp, startServer,
  type Admin, type CreatedApp, type HttpResult, type TestServer,
} from './helpers/index.js';

const MANAGEMENT_BUDGET = 6;
const AUTH_FAILURE_BUDGET = 3;

let server: TestServer;
let admin: Admin;
let appA: CreatedApp;
let appB: CreatedApp;

before(async () => {
  server = await startServer({
    env: {
      RATE_LIMIT_MANAGEMENT: `${MANAGEMENT_BUDGET}/60`,
      RATE_LIMIT_AUTH_FAILURES: `${AUTH_FAILURE_BUDGET}/60`,
    },
  });
  admin = await bootstrapAdmin(server);
  appA = await createApp(server, admin.accessToken, admin.orgId);
  appB = await createApp(server, admin.accessToken, admin.orgId);
});

after(async () => {
  await server?.stop();
});

function assert429(res: HttpResult): void {
  assertCspError(res, 429, {}, server);
  const retryAfter = res.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/, `Retry-After in seconds: ${retryAfter}`);
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After within the window: ${retryAfter}`);
}

/** Sends until the first non-200 (at most `limit` times); returns that response and the last 200 before it. */
async function until429(send: () => Promise<HttpResult>, limit: number): Promise<{ res: HttpResult; lastOk?: HttpResult }> {
  let lastOk: HttpResult | undefined;
  for (let i = 0; i < limit; i++) {
    const res = await send();
    if (res.status !== 200) return { res, lastOk };
    lastOk = res;
  }
  assert.fail(`no 429 after ${limit} requests`);
}

describe('429 — management API budget per caller', () => {
  it('PUT …/secret past the budget → 429 with Retry-After; the refused call changes nothing', async () => {
    const { res, lastOk } = await until429(
      () => server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${appA.clientId}/secret`, { token: admin.accessToken, json: {} }),
      MANAGEMENT_BUDGET + 2,
    );
    assert429(res);
    assert.ok(lastOk, 'some regenerations succeeded before the limit');
    const tok = await clientCredentials(server, appA.clientId, lastOk.body.clientSecret, 'basic');
    assert.equal(tok.status, 200, `the last regenerated secret is still in force: ${tok.text}`);
  });

  it('every request counts once, a change as a read: RateLimit-Remaining falls by one per PUT, PATCH, DELETE …/secret and GET (on PostgreSQL + Redis counted in the round trip that reads the epochs)', async () => {
    const changer = await addUser(server, admin.orgId, 'org_owner');
    const app = await createApp(server, changer.accessToken, admin.orgId); // the first of the caller's budget
    const path = `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`;
    const sent = [
      await server.req('PUT', `${path}/secret`, { token: changer.accessToken, json: {} }),
      await server.req('PATCH', path, { token: changer.accessToken, json: { description: 'counted once' } }),
      await server.req('DELETE', `${path}/secret`, { token: changer.accessToken }),
      await server.req('GET', path, { token: changer.accessToken }),
    ];
    sent.forEach((res, i) => {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('ratelimit-remaining'), String(MANAGEMENT_BUDGET - 2 - i), `request ${i + 2}`);
    });
  });

  it('a malformed request counts like any other, and past the budget it gets 429 before its body is judged', async () => {
    const caller = await addUser(server, admin.orgId, 'org_admin');
    const path = `/orgs/${admin.orgId}/oauth-apps/${appB.clientId}`;
    const read = () => server.req('GET', path, { token: caller.accessToken });
    const malformed = () => server.req('PATCH', path, { token: caller.accessToken, json: { displayName: 5 } });
    assert.equal((await read()).status, 200);
    assertCspError(await malformed(), 400, {}, server);
    const next = await read();
    assert.equal(next.status, 200, next.text);
    assert.equal(next.headers.get('ratelimit-remaining'), String(MANAGEMENT_BUDGET - 3), 'the 400 was counted');
    for (let i = 3; i < MANAGEMENT_BUDGET; i++) assert.equal((await read()).status, 200);
    assert429(await malformed());
  });

  it('another caller of the same org has its own budget', async () => {
    const other = await addUser(server, admin.orgId, 'org_admin');
    const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${appB.clientId}`, { token: other.accessToken });
    assert.equal(res.status, 200, res.text);
  });

  it('GET app counts against the same budget as the changes, with the RateLimit headers (on PostgreSQL + Redis counted in the round trip that reads the epochs)', async () => {
    const reader = await addUser(server, admin.orgId, 'org_admin');
    for (let i = 1; i <= MANAGEMENT_BUDGET; i++) {
      const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${appB.clientId}`, { token: reader.accessToken });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('ratelimit-remaining'), String(MANAGEMENT_BUDGET - i));
    }
    assert429(await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${appB.clientId}`, { token: reader.accessToken }));
    assert429(await server.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${appB.clientId}`, { token: reader.accessToken, json: { displayName: 'not applied' } }));
    const checker = await addUser(server, admin.orgId, 'org_admin');
    const app = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${appB.clientId}`, { token: checker.accessToken });
    assert.equal(app.status, 200, app.text);
    assert.notEqual(app.body.displayName, 'not applied', 'the refused PATCH changed nothing');
  });
});

describe('429 — failed client authentications per client id', () => {
  it('wrong secrets past the budget → 429 with Retry-After and the CSP body', async () => {
    let last: HttpResult | undefined;
    for (let i = 0; i < AUTH_FAILURE_BUDGET + 3; i++) {
      last = await clientCredentials(server, appB.clientId, `Wrong-secret-${i}!`, 'basic');
      if (last.status === 429) break;
      assertCspError(last, 401, { oauthError: 'invalid_client' }, server);
    }
    assert.ok(last);
    assert429(last);
  });

  it("another client's budget is untouched", async () => {
    const res = await clientCredentials(server, appA.clientId, 'Wrong-secret-x!', 'basic');
    assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
  });
});
