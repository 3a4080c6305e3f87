import { FmiError } from '../errors.js';

/**
 * JSON parsing for config files with an error a person can act on: line, column and the line
 * itself with a caret. `JSON.parse` in Node 20 reports a position for some mistakes and none for
 * others (`Unexpected token '}', "..." is not valid JSON`), so the position comes from our own
 * scan of the text, which stops at the first character that cannot continue valid JSON.
 */

/** Where parsing failed: 0-based offset, 1-based line and column. */
export interface JsonErrorLocation {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Parses `text` (a UTF-8 BOM is skipped), or throws `config` naming `label` and the position. */
export function parseJsonText(text: string, label: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (cause) {
    const at = locateJsonError(body);
    const reason = describeJsonError(body, at, cause);
    return failAt(label, body, at, reason, cause);
  }
}

function failAt(label: string, text: string, at: JsonErrorLocation, reason: string, cause: unknown): never {
  throw new FmiError(
    'config',
    `config: ${label} is not valid JSON: ${reason} at line ${at.line}, column ${at.column} (position ${at.offset}) — fix the file there\n${excerpt(text, at)}`,
    { cause },
  );
}

/** The first offset where `text` stops being valid JSON (text.length for a premature end). */
export function locateJsonError(text: string): JsonErrorLocation {
  const offset = scanJson(text) ?? text.length;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

function describeJsonError(text: string, at: JsonErrorLocation, cause: unknown): string {
  if (at.offset >= text.length) return 'unexpected end of the file';
  const ch = text[at.offset];
  // Comments and trailing commas are the usual suspects in hand-written JSON; name them.
  if (ch === '/' && (text[at.offset + 1] === '/' || text[at.offset + 1] === '*')) return 'comments are not allowed in JSON';
  if ((ch === '}' || ch === ']') && /,\s*$/.test(text.slice(0, at.offset))) return `trailing comma before "${ch}"`;
  if (ch === "'") return 'strings need double quotes';
  const detail = cause instanceof Error ? cause.message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '') : '';
  return detail !== '' ? detail.charAt(0).toLowerCase() + detail.slice(1) : `unexpected ${JSON.stringify(ch)}`;
}

/** The offending line (trimmed to 80 characters around the column) and a caret under the spot. */
function excerpt(text: string, at: JsonErrorLocation): string {
  const start = at.offset - (at.column - 1);
  const endOfLine = text.indexOf('\n', start);
  const line = text.slice(start, endOfLine === -1 ? text.length : endOfLine).replace(/\r$/, '');
  const from = Math.max(0, at.column - 1 - 40);
  const shown = line.slice(from, from + 80).replace(/\t/g, ' ');
  return `  ${shown}\n  ${' '.repeat(at.column - 1 - from)}^`;
}

/** Offset of the first syntax error, or undefined when `text` is valid JSON (RFC 8259). */
function scanJson(text: string): number | undefined {
  let i = 0;
  const n = text.length;
  // Thrown to unwind the recursive descent; carries nothing, the offset is `i`.
  const stop = Symbol('json-error');
  const fail = (): never => {
    throw stop;
  };
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
            i++;
          }
        } else fail();
      } else i++;
    }
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (isDigit(text[i])) while (isDigit(text[i])) i++;
    else fail();
    if (text[i] === '.') {
      i++;
      if (!isDigit(text[i])) fail();
      while (isDigit(text[i])) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!isDigit(text[i])) fail();
      while (isDigit(text[i])) i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || isDigit(c)) number();
    else fail();
  };
  const object = () => {
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail();
      string();
      skipSpace();
      if (text[i] !== ':') fail();
      i++;
      value();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return;
      } else fail();
    }
  };
  const array = () => {
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === ']') {
        i++;
        return;
      } else fail();
    }
  };
  try {
    value();
    skipSpace();
    if (i < n) fail();
    return undefined;
  } catch (error) {
    if (error === stop) return Math.min(i, n);
    throw error;
  }
}
