// bin/orgauth: serve, bootstrap, org create, user add, api-token create/revoke, keys rotate.
// With --json every command prints exactly one JSON object on stdout.
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { loadConfig } from './config.js';
import { bumpEpochs, CommandFailedError, describeFailure, print, withStorage, type Output } from './cli-support.js';
import { registerInventoryCommands } from './cli-inventory.js';
import { addMember, bootstrap, createApiToken, createOrganization, revokeApiToken, DEFAULT_API_TOKEN_TTL_SECONDS } from './identity/service.js';
import { isOrgRole, ORG_ROLES } from './identity/roles.js';
import { registerPasswordCommands } from './signin/cli.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive whole number of seconds, got '${value}'`);
  return n;
}

/**
 * `orgauth serve`. bin/orgauth prepares libuv's thread pool before anything starts it; reached any
 * other way (`node dist/cli.js serve`), the pool is already running at libuv's default size and
 * priority, so the server runs in a child started through dist/start.cjs, which prepares it first.
 */
async function serve(): Promise<void> {
  if (process.env.UV_THREADPOOL_SIZE !== undefined) return (await import('./main.js')).serve();
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./start.cjs', import.meta.url))], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

export function buildCli(): Command {
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  const program = new Command('orgauth').description('orgauth: organization-managed OAuth apps and their secrets').version(version).showHelpAfterError();
  const json = () => new Option('--json', 'print exactly one JSON object');

  // The server (Fastify, every route) is loaded only for `serve`: the other commands start in a fraction of the time.
  program.command('serve').description('start the server (what `npm start` runs)').action(serve);

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
      await bumpEpochs((epochs) => epochs.bumpMembersBeforeAcknowledging(options.org));
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
      // Its access tokens are looked up in every node's denial memory.
      if (revoked) await bumpEpochs((epochs) => epochs.bumpRevocationsBeforeAcknowledging());
      if (!revoked) throw new CommandFailedError('no such API token');
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
  registerInventoryCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildCli();
  const json = argv.includes('--json');
  // Usage errors of every command reach the catch below; with --json they are reported there once,
  // as JSON, not also by commander in prose.
  forEachCommand(program, (command) => {
    command.exitOverride();
    if (json) command.configureOutput({ outputError: () => {} }).showHelpAfterError(false);
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exit(0);
    // One clear line; configuration errors say which variable is wrong and never echo a key.
    const failure = describeFailure(error);
    if (json) process.stdout.write(`${JSON.stringify(failure)}\n`);
    if (!json && typeof code === 'string' && code.startsWith('commander.')) process.exit(1);
    process.stderr.write(`orgauth: ${failure.message}\n`);
    process.exit(1);
  }
}

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub, visit);
}

runCli(process.argv);
