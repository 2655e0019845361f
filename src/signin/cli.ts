// bin/orgauth commands for people's passwords: `user set-password`, `user add … --password-stdin`
// and `user remove`. The password is read from standard input (first line), never from an argument,
// where it would be visible to other users of the machine in the process list.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { bumpEpochs, withStorage } from '../cli-support.js';
import { removeMember } from '../identity/service.js';
import { fail } from '../errors/errors.js';
import { passwordProblem } from './passwords.js';
import { setPassword } from './service.js';

/** The first line of standard input, without its line ending; typed at a terminal, it is not echoed. */
export async function readFirstLine(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  const typed = input.isTTY === true;
  if (typed) process.stderr.write('Password: ');
  // At a terminal readline echoes into `output`: a stream that drops everything keeps the password off the screen.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const lines = typed ? createInterface({ input, output: silent, terminal: true }) : createInterface({ input, terminal: false });
  if (typed) lines.once('close', () => process.stderr.write('\n'));
  try {
    for await (const line of lines) return line.replace(/\r$/, '');
    return '';
  } finally {
    lines.close();
  }
}

function checkedPassword(username: string, password: string): string {
  const problem = passwordProblem(username, password);
  if (problem) throw fail('PASSWORD_RULE', problem);
  return password;
}

function userCommand(program: Command): Command {
  const user = program.commands.find((command) => command.name() === 'user');
  if (!user) throw new Error('the user command is not registered');
  return user;
}

export function registerPasswordCommands(program: Command): void {
  const user = userCommand(program);

  user.command('set-password').description('set the password a person signs in with; read from standard input (first line)')
    .requiredOption('--username <username>', 'user name')
    .addOption(new Option('--json', 'print exactly one JSON object'))
    .action(async (options: { username: string; json?: boolean }) => {
      const password = checkedPassword(options.username, await readFirstLine());
      const result = await withStorage((db) => setPassword({ db }, options.username, password));
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `password set for ${result.username}\n`);
    });

  user.command('remove').description('end a membership: the person\'s tokens and refresh tokens for the org stop working')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--username <username>', 'user name')
    .addOption(new Option('--json', 'print exactly one JSON object'))
    .action(async (options: { org: string; username: string; json?: boolean }) => {
      const result = await withStorage((db) => removeMember(db, options.org, options.username));
      await bumpEpochs((epochs) => epochs.bumpMembersBeforeAcknowledging(options.org));
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${result.username} removed from ${result.orgId}\n`);
    });

  // `user add --password-stdin` and `bootstrap --password-stdin`: the password is read and checked
  // before the person is created, and set once they exist — so the first owner can sign in to the
  // console with nothing but the bootstrap output and the password they chose.
  const add = user.commands.find((command) => command.name() === 'add');
  const bootstrap = program.commands.find((command) => command.name() === 'bootstrap');
  if (!add || !bootstrap) throw new Error('the user add and bootstrap commands are not registered');
  for (const command of [add, bootstrap]) withPasswordStdin(command);
}

function withPasswordStdin(command: Command): void {
  let pending: string | undefined;
  command.option('--password-stdin', 'also set the password, read from standard input (first line)', false)
    .hook('preAction', async (action) => {
      const options = action.opts<{ username: string; passwordStdin?: boolean }>();
      pending = options.passwordStdin ? checkedPassword(options.username, await readFirstLine()) : undefined;
    })
    .hook('postAction', async (action) => {
      if (pending === undefined) return;
      const { username } = action.opts<{ username: string }>();
      const password = pending;
      pending = undefined;
      await withStorage((db) => setPassword({ db }, username, password));
    });
}
