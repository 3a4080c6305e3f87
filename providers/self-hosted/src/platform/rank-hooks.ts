/**
 * Code the local platform preloads into every rank (`node --import data:...`), before the user's
 * script. It does two things a launcher cannot do from outside:
 *
 * 1. Parent watchdog. Each rank gets an IPC channel to the launcher; when the launcher dies in a
 *    way that runs no cleanup (SIGKILL, a crash), the channel closes and the rank terminates itself
 *    with SIGTERM, so a job never leaves orphans behind. The channel is unref'd: it never keeps a
 *    finished script alive, and the script sees no messages on it.
 * 2. Error record. On an uncaught exception or unhandled rejection it writes one line
 *    `[fmi:rank-error] {"name","message","kind"}` to stderr just before Node prints its usual report
 *    and exits, so the launcher can name the error without guessing from a stack trace. It uses
 *    `uncaughtExceptionMonitor`, which observes without changing Node's behaviour (exit code 1).
 *
 * Kept as source text, not a file, so it works the same from `src/` under a test runner and from
 * `dist/`; Node accepts `data:` URLs for `--import`.
 */

/** Prefix of the error record a rank writes on stderr; the launcher removes these lines from the output. */
export const RANK_ERROR_MARKER = '[fmi:rank-error] ';

const SOURCE = `
if (process.channel) {
  process.on('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(129), 5000).unref();
  });
  process.channel.unref();
}
process.on('uncaughtExceptionMonitor', (error, origin) => {
  try {
    const e = typeof error === 'object' && error !== null ? error : { message: String(error) };
    const record = {
      name: typeof e.name === 'string' ? e.name : undefined,
      message: String(e.message ?? ''),
      kind: typeof e.kind === 'string' ? e.kind : undefined,
      origin,
    };
    process.stderr.write(${JSON.stringify(RANK_ERROR_MARKER)} + JSON.stringify(record) + '\\n');
  } catch {}
});
`;

/** The `--import` argument that installs the hooks. */
export const RANK_HOOKS_IMPORT = `data:text/javascript,${encodeURIComponent(SOURCE)}`;
