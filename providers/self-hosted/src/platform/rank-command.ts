import { existsSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { FmiError } from '@fmi/core';
import { RANK_HOOKS_IMPORT } from './rank-hooks.js';

/** How to start one rank: the executable and its arguments. */
export interface RankCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** The script, absolute. */
  readonly script: string;
}

export interface RankCommandOptions {
  readonly cwd: string;
  readonly node: string;
  readonly nodeArgs: readonly string[];
}

const JS = new Set(['.js', '.mjs', '.cjs', '']);
const TS = new Set(['.ts', '.mts', '.cts']);

/**
 * Resolves the command of a rank: `node [hooks] [nodeArgs] script args`. TypeScript runs only through
 * an installed `tsx` (Node 20 has no type stripping); without it the script is refused up front,
 * with the fix, rather than failing N times with a syntax error.
 */
export function rankCommand(entry: string, args: readonly string[], o: RankCommandOptions): RankCommand {
  if (typeof entry !== 'string' || entry.trim() === '')
    throw new FmiError('invalid-argument', 'no script given: pass the path of a .js file to run on every rank', { field: 'script' });
  const script = resolve(o.cwd, entry);
  if (!existsSync(script)) throw new FmiError('invalid-argument', `script "${entry}" does not exist (looked at ${script})`, { field: 'script' });
  if (!statSync(script).isFile()) throw new FmiError('invalid-argument', `script "${entry}" is not a file (${script})`, { field: 'script' });
  const ext = extname(script).toLowerCase();
  const base = ['--import', RANK_HOOKS_IMPORT, ...o.nodeArgs];
  if (JS.has(ext)) return { file: o.node, args: [...base, script, ...args], script };
  if (TS.has(ext)) {
    if (findTsx(o.cwd)) return { file: o.node, args: ['--import', 'tsx', ...base, script, ...args], script };
    throw new FmiError(
      'invalid-argument',
      `script "${entry}" is TypeScript, which Node ${process.version} cannot run by itself — build it to JavaScript (e.g. \`tsc\`) and run the .js, or install tsx (\`npm i -D tsx\`) so ranks load it with --import tsx`,
      { field: 'script' },
    );
  }
  throw new FmiError('invalid-argument', `script "${entry}" has extension "${ext}"; fmi runs .js, .mjs and .cjs files (and .ts with tsx installed)`, {
    field: 'script',
  });
}

/**
 * Whether `tsx` is installed where Node resolves `--import tsx` from the ranks' working directory:
 * a `node_modules/tsx` in it or a parent directory.
 */
function findTsx(cwd: string): boolean {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'node_modules', 'tsx', 'package.json'))) return true;
    const parent = dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}
