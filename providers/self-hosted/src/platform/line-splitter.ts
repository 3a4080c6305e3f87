import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Longest line passed on whole; a longer run without a newline is passed on in pieces of this size. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Calls `onLine` for each line of a stream (without its newline), and once more at the end for a
 * last line that had no newline. A rank printing binary or endless lines cannot make the launcher
 * buffer without bound.
 */
export function splitLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const push = (text: string) => {
    pending += text;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      onLine(pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
    while (pending.length > MAX_LINE_CHARS) {
      onLine(pending.slice(0, MAX_LINE_CHARS));
      pending = pending.slice(MAX_LINE_CHARS);
    }
  };
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => push(decoder.write(chunk)));
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      push(decoder.end());
      if (pending !== '') onLine(pending);
      pending = '';
      resolve();
    };
    stream.once('end', finish);
    // A destroyed pipe (the rank was killed) ends without 'end'; what arrived is still passed on.
    stream.once('close', finish);
  });
}
