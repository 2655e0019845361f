// bin/orgauth (SPEC §9): serve, bootstrap, org create, user add, api-token create/revoke, keys rotate.
// With --json every command prints exactly one JSON object on stdout.
import { Command, Option } from 'commander';
import { loadConfig } from './config.js';
import { openStorage } from './storage.js';
import type { Db } from './db/database.js';
import type { KeyRing } from './keys/keyring.js';
import { addMember, bootstrap, createApiToken, createOrganization, revokeApiToken, BootstrapRefusedError, DEFAULT_API_TOKEN_TTL_SECONDS } from './identity/service.js';
import { isOrgRole, ORG_ROLES } from './identity/roles.js';
import { isOrgAuthError } from './errors/errors.js';
import { registerPasswordCommands } from './signin/cli.js';

interface Output { json?: boolean }

async function withStorage<T>(action: (db: Db, keys: KeyRing) => Promise<T>): Promise<T> {
  const { db, keys } = await openStorage(loadConfig());
  try {
    return await action(db, keys);
  } finally {
    await db.destroy();
  }
}

function print(options: Output, result: object, human: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${human}\n`);
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive whole number of seconds, got '${value}'`);
  return n;
}

export function buildCli(): Command {
  const program = new Command('orgauth').description('orgauth: organization-managed OAuth apps and their secrets').showHelpAfterError();
  const json = () => new Option('--json', 'print exactly one JSON object');

  // The server (Fastify, every route) is loaded only for `serve`: the other commands start in a fraction of the time.
  program.command('serve').description('start the server (what `npm start` runs)').action(async () => (await import('./main.js')).serve());

  program.command('bootstrap').description('on an empty database: one org, one org_owner user, one API token')
    .option('--username <username>', 'the owner', 'admin@orgauth.local')
    .option('--org-name <name>', 'the organization display name', 'Default organization')
    .addOption(json())
    .action(async (options: Output & { username: string; orgName: string }) => {
      const result = await withStorage((db) => bootstrap(db, options.username, options.orgName));
      print(options, result, `organization ${result.orgId}\nowner ${result.username}\nAPI token (shown once): ${result.apiToken}`);
    });

  const org = program.command('org').description('organizations');
  org.command('create').requiredOption('--name <name>', 'display name').addOption(json())
    .action(async (options: Output & { name: string }) => {
      const result = await withStorage((db) => createOrganization(db, options.name));
      print(options, result, `organization ${result.id} (${result.displayName})`);
    });

  const user = program.command('user').description('users and memberships');
  user.command('add').description('add or update a membership')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--username <username>', 'user name (email-like)')
    .addOption(new Option('--role <role>', 'organization role').choices(ORG_ROLES as string[]).makeOptionMandatory())
    .option('--developer', 'add the developer add-on role', false)
    .addOption(json())
    .action(async (options: Output & { org: string; username: string; role: string; developer: boolean }) => {
      if (!isOrgRole(options.role)) throw new Error(`unknown role ${options.role}`);
      const role = options.role;
      const result = await withStorage((db) => addMember(db, options.org, options.username, role, options.developer));
      print(options, result, `${result.username} in ${result.orgId}: ${result.roles.join(', ')}`);
    });

  const apiToken = program.command('api-token').description('API tokens (long-lived user credentials)');
  apiToken.command('create')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--username <username>', 'user name')
    .option('--ttl <seconds>', 'lifetime in seconds', positiveInteger, DEFAULT_API_TOKEN_TTL_SECONDS)
    .addOption(json())
    .action(async (options: Output & { org: string; username: string; ttl: number }) => {
      const result = await withStorage((db) => createApiToken(db, options.org, options.username, options.ttl));
      print(options, { apiToken: result.apiToken, expiresAt: result.expiresAt }, `API token (shown once): ${result.apiToken}\nexpires at ${new Date(result.expiresAt * 1000).toISOString()}`);
    });
  apiToken.command('revoke').requiredOption('--token <token>', 'the API token').addOption(json())
    .action(async (options: Output & { token: string }) => {
      const revoked = await withStorage((db) => revokeApiToken(db, options.token));
      if (!revoked) throw new Error('no such API token');
      print(options, { revoked: true }, 'API token revoked');
    });

  const keys = program.command('keys').description('signing keys');
  keys.command('rotate').description('add a signing key; JWKS keeps serving the old one').addOption(json())
    .action(async (options: Output) => {
      const kid = await withStorage((_db, ring) => ring.rotateSigningKey());
      // Running nodes re-read their key rings at once; without Redis they converge within 30 s.
      const config = loadConfig();
      if (config.redisUrl && !(await (await import('./redis/key-events.js')).publishKeyChange(config.redisUrl, config.redisPrefix))) {
        process.stderr.write('orgauth: warning: could not announce the new key over Redis; nodes pick it up within 30 s\n');
      }
      print(options, { kid }, `new signing key ${kid}`);
    });

  registerPasswordCommands(program);

  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildCli();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exit(0);
    if (typeof code === 'string' && code.startsWith('commander.')) process.exit(1);
    // One clear line; configuration errors say which variable is wrong and never echo a key.
    const message = error instanceof BootstrapRefusedError || isOrgAuthError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`orgauth: ${message}\n`);
    process.exit(1);
  }
}

runCli(process.argv);
