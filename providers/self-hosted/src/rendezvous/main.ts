#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { FmiError } from '@fmi/core';
import { deriveJobSecret, generateServerKey } from './job-secret.js';
import { startRendezvousServer } from './server.js';

/**
 * `fmi-rendezvous`: runs the rendezvous server until SIGINT/SIGTERM.
 *
 *   fmi-rendezvous [--host ::] [--port 10000] [--key KEY]     (or FMI_RENDEZVOUS_KEY)
 *   fmi-rendezvous --secret-for JOB --key KEY                 prints the FMI_SECRET of job JOB
 *
 * Without a key it generates one and prints it once: the launcher needs it to derive job secrets.
 */

const USAGE = `usage: fmi-rendezvous [--host HOST] [--port PORT] [--key KEY]
       fmi-rendezvous --secret-for JOB --key KEY
  --host        interface to listen on (default: :: and 0.0.0.0, dual stack)
  --port        TCP port (default 10000; 0 picks a free one)
  --key         server key from which job secrets derive (default: FMI_RENDEZVOUS_KEY, else generated)
  --secret-for  print the job secret (FMI_SECRET) of JOB for this key and exit`;

async function main(argv: string[]): Promise<number> {
  let values: { host?: string; port?: string; key?: string; 'secret-for'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        key: { type: 'string' },
        'secret-for': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const envKey = process.env.FMI_RENDEZVOUS_KEY;
  if (values['secret-for'] !== undefined) {
    const key = values.key ?? envKey;
    if (!key) {
      process.stderr.write('--secret-for needs --key or FMI_RENDEZVOUS_KEY\n');
      return 2;
    }
    process.stdout.write(`${deriveJobSecret(key, values['secret-for'])}\n`);
    return 0;
  }
  const port = values.port === undefined ? 10_000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port: "${values.port}" is not a port number\n`);
    return 2;
  }
  let serverKey = values.key ?? envKey;
  if (!serverKey) {
    serverKey = generateServerKey();
    process.stdout.write(`server key (derive job secrets with --secret-for JOB --key ...): ${serverKey}\n`);
  }
  const server = await startRendezvousServer({ host: values.host, port, serverKey });
  const { address, port: bound } = server.address;
  const host = address.includes(':') ? `[${address}]` : address;
  process.stdout.write(`fmi-rendezvous listening on tcp://${host}:${bound}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${FmiError.is(e) ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
