import type { Logger } from './tokens.js';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Logs one line per event to stderr: `[fmi] level message {fields}`. Fields named `secret` are redacted. */
export function consoleLogger(level: LogLevel = 'warn', prefix = '[fmi]'): Logger {
  const at = ORDER[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] > at) return;
    let tail = '';
    if (fields && Object.keys(fields).length > 0) {
      tail = ` ${JSON.stringify(fields, (k, v) => (/secret/i.test(k) ? '***' : typeof v === 'bigint' ? v.toString() : v))}`;
    }
    process.stderr.write(`${prefix} ${lvl} ${message}${tail}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

export const systemClock = { now: () => Date.now() };
