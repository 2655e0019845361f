// Commands that show what the database holds (orgs, members, API tokens, signing keys) and retire
// old signing keys. Registered as one block so they stay apart from the commands that create things.
import { Option, type Command } from 'commander';
import { nowSeconds } from './db/database.js';
import { listApiTokens, listMemberships, listOrganizations, findOrganization } from './identity/store.js';
import { membershipRoles } from './identity/roles.js';
import { listSigningKeys, retireSigningKey } from './tokens/key-retirement.js';
import { CommandFailedError, print, withStorage, type Output } from './cli-support.js';
import { fail } from './errors/errors.js';

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

function table(rows: string[][]): string {
  if (rows.length <= 1) return '(none)';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function registerInventoryCommands(program: Command): void {
  const json = () => new Option('--json', 'print exactly one JSON object');
  const command = (path: string): Command => {
    const [group, name] = path.split(' ') as [string, string];
    const parent = program.commands.find((c) => c.name() === group) ?? program.command(group);
    return parent.command(name);
  };

  command('org list').description('list the organizations').addOption(json())
    .action(async (options: Output) => {
      const orgs = await withStorage(async (db) => (await listOrganizations(db)).map((o) => ({ id: o.id, displayName: o.display_name, createdAt: o.created_at })));
      print(options, { organizations: orgs }, table([['ID', 'NAME', 'CREATED'], ...orgs.map((o) => [o.id, o.displayName, iso(o.createdAt)])]));
    });

  command('user list').description('list the members of an organization')
    .requiredOption('--org <id>', 'organization id').addOption(json())
    .action(async (options: Output & { org: string }) => {
      const users = await withStorage(async (db) => {
        if (!(await findOrganization(db, options.org))) throw fail('ORG_NOT_FOUND', `Organization ${options.org} not found`);
        return (await listMemberships(db, options.org)).map((m) => ({ username: m.username, roles: membershipRoles(m.org_role, m.developer === 1) }));
      });
      print(options, { orgId: options.org, users }, table([['USERNAME', 'ROLES'], ...users.map((u) => [u.username, u.roles.join(', ')])]));
    });

  command('api-token list').description('list API tokens (their ids and last four characters, never the tokens)')
    .option('--org <id>', 'only this organization').option('--username <username>', 'only this user').addOption(json())
    .action(async (options: Output & { org?: string; username?: string }) => {
      const now = nowSeconds();
      const tokens = await withStorage(async (db) => (await listApiTokens(db, { orgId: options.org, username: options.username })).map((t) => ({
        id: t.id,
        hint: t.hint,
        username: t.username,
        orgId: t.org_id,
        status: t.revoked_at !== null ? 'revoked' : t.expires_at <= now ? 'expired' : 'active',
        createdAt: t.created_at,
        expiresAt: t.expires_at,
        ...(t.revoked_at !== null ? { revokedAt: t.revoked_at } : {}),
        ...(t.last_used_at !== null ? { lastUsedAt: t.last_used_at } : {}),
      })));
      print(options, { apiTokens: tokens }, table([['ID', 'HINT', 'USERNAME', 'ORG', 'STATUS', 'EXPIRES'],
        ...tokens.map((t) => [t.id, `…${t.hint}`, t.username, t.orgId, t.status, iso(t.expiresAt)])]));
    });

  command('keys list').description('list the signing keys: current, active, retiring (still in JWKS until a time) or retired').addOption(json())
    .action(async (options: Output) => {
      const keys = await withStorage((db) => listSigningKeys(db));
      print(options, { keys }, table([['KID', 'STATUS', 'CREATED', 'LEAVES JWKS'],
        ...keys.map((k) => [k.kid, k.status, iso(k.createdAt), k.leavesJwksAt === undefined ? '' : iso(k.leavesJwksAt)])]));
    });

  command('keys retire').description('retire a signing key that is no longer current: it leaves JWKS once no unexpired token can carry it')
    .argument('<kid>', 'the key id (see `orgauth keys list`)').addOption(json())
    .action(async (kid: string, options: Output) => {
      const key = await withStorage((db) => retireSigningKey(db, kid));
      if (key.leavesJwksAt === undefined) throw new CommandFailedError(`${kid} was not retired`);
      print(options, key, key.status === 'retired' ? `${kid} retired: it has left JWKS` : `${kid} retiring: it leaves JWKS at ${iso(key.leavesJwksAt)}, when the last token it signed has expired`);
    });
}
