import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { UsageError } from '../cli-error.js';
import { bool, intFlag, parseFlags, str } from '../flags.js';
import { loadRendezvousLibrary } from '../rendezvous-library.js';
import type { CommandIo } from './io.js';

export const RENDEZVOUS_HELP = `usage: fmi rendezvous [--host HOST] [--port PORT] [--secret-file FILE]
       fmi rendezvous --secret-for JOB --secret-file FILE

The rendezvous server of the direct channel, for jobs whose ranks run elsewhere (cloud functions):
it authenticates ranks with their job secret, introduces pairs for hole punching and relays when
punching fails. Runs until SIGINT or SIGTERM.

Job secrets derive from the server key: FMI_SECRET of job J = HMAC(key, J). Give each job's ranks
FMI_RENDEZVOUS=tcp://HOST:PORT and FMI_SECRET from --secret-for.

options:
      --host HOST         interface to listen on (default: all, IPv6 and IPv4)
      --port PORT         TCP port (default 10000; 0 picks a free one)
      --secret-file FILE  file holding the server key; created (mode 600) with a new key if absent.
                          Default: FMI_RENDEZVOUS_KEY, else a new key that is printed once
      --secret-for JOB    print FMI_SECRET of job JOB for this key, and exit
  -h, --help              this help`;

/** `fmi rendezvous`: the standalone server. */
export async function rendezvousCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags('rendezvous', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    'secret-file': { type: 'string' },
    'secret-for': { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (bool(values, 'help')) {
    io.out(RENDEZVOUS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(positionals[0], 'unexpected argument — see `fmi rendezvous --help`');
  const port = intFlag('--port', str(values, 'port'), { min: 0, max: 65_535 }) ?? 10_000;
  const host = str(values, 'host');
  if (host !== undefined && host !== 'localhost' && isIP(host.replace(/^\[|\]$/g, '')) === 0)
    throw new UsageError('--host', `"${host}" is not an IP address of this machine`);
  const lib = await loadRendezvousLibrary();
  const secretFile = str(values, 'secret-file');
  const job = str(values, 'secret-for');

  let key: string | undefined;
  if (secretFile !== undefined && existsSync(secretFile)) {
    key = (await readFile(secretFile, 'utf8')).trim();
    if (key.length < 16) throw new UsageError('--secret-file', `${secretFile} holds no server key (at least 16 characters)`);
  } else if (secretFile === undefined) key = io.env.FMI_RENDEZVOUS_KEY || undefined;

  if (job !== undefined) {
    if (!key) throw new UsageError('--secret-for', 'needs the server key: --secret-file FILE (an existing one) or FMI_RENDEZVOUS_KEY');
    io.out(lib.deriveJobSecret(key, job));
    return 0;
  }
  if (!key) {
    key = lib.generateServerKey();
    if (secretFile !== undefined) {
      // 'wx': never overwrite a key another server may already be using.
      await writeFile(secretFile, `${key}\n`, { mode: 0o600, flag: 'wx' });
      io.err(`fmi: new server key written to ${secretFile}`);
    } else {
      io.err(`fmi: server key (keep it; job secrets derive from it): ${key}`);
      io.err('fmi: pass it next time with --secret-file FILE or FMI_RENDEZVOUS_KEY');
    }
  }
  const server = await lib.startRendezvousServer({ host: host?.replace(/^\[|\]$/g, ''), port, serverKey: key });
  const { address, port: bound } = server.address;
  io.out(`fmi rendezvous listening on tcp://${address.includes(':') ? `[${address}]` : address}:${bound}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.err(`fmi: ${signal}: closing the rendezvous server`);
  // close() drops every connection; the bound only guards against a stuck socket holding the exit.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([server.close(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
  clearTimeout(timer);
  return 0;
}
