import { describe, expect, it } from 'vitest';
import { FmiError } from '../errors.js';
import { locateJsonError, parseJsonText } from './json-text.js';

function parseError(text: string): FmiError {
  try {
    parseJsonText(text, 'fmi.json');
  } catch (error) {
    expect(FmiError.isKind(error, 'config')).toBe(true);
    return error as FmiError;
  }
  throw new Error('expected a parse error');
}

describe('parseJsonText', () => {
  it('parses valid JSON, skipping a UTF-8 byte order mark', () => {
    expect(parseJsonText('{"hint": "fast", "n": [1, 2.5e3, -0.5, true, null]}', 'fmi.json')).toEqual({ hint: 'fast', n: [1, 2500, -0.5, true, null] });
    expect(parseJsonText('\uFEFF{"a": 1}', 'fmi.json')).toEqual({ a: 1 });
  });

  it.each([
    // [text, line, column, reason]; reason null where the wording is V8's (it changes across Node versions).
    ['{"a": }', 1, 7, null],
    ['{"a": 1', 1, 8, 'unexpected end of the file'],
    ['{\n  "a": 1,\n}', 3, 1, 'trailing comma before "}"'],
    ['[1, 2,]', 1, 7, 'trailing comma before "]"'],
    ['{\n  // note\n  "a": 1\n}', 2, 3, 'comments are not allowed in JSON'],
    ["{'a': 1}", 1, 2, 'strings need double quotes'],
    ['{"a" 1}', 1, 6, null],
    ['{"a": tru}', 1, 10, null],
    ['{"a": 01}', 1, 8, null],
    ['{"a": "x\ty"}', 1, 9, null],
    ['', 1, 1, 'unexpected end of the file'],
    ['{} {}', 1, 4, null],
  ] as Array<[string, number, number, string | null]>)('locates the error in %j at line %i, column %i', (text, line, column, reason) => {
    const error = parseError(text);
    expect(error.message).toMatch(/^\[fmi\] config: fmi\.json is not valid JSON: \S/);
    expect(error.message).toContain(` at line ${line}, column ${column} (position `);
    if (reason !== null) expect(error.message).toContain(`is not valid JSON: ${reason} at line`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('agrees with the position JSON.parse reports, where it reports one', () => {
    const samples = ['{"a": 1', '{"a" 1}', '{"a": 1,}', '[1 2]', '{"a": [1, 2}', '{"a": "\\x"}', '{"a": 1e}', '{"a": -}'];
    let compared = 0;
    for (const text of samples) {
      let v8: number | undefined;
      try {
        JSON.parse(text);
      } catch (error) {
        const match = /at position (\d+)/.exec((error as Error).message);
        if (match !== null) v8 = Number(match[1]);
      }
      if (v8 === undefined) continue;
      compared++;
      expect(locateJsonError(text).offset, text).toBe(v8);
    }
    // Node 20 reports a position for most of these; make sure the check compared something.
    expect(compared).toBeGreaterThanOrEqual(4);
  });

  it('shows the offending line with a caret under the column', () => {
    const error = parseError('{\n  "hint": "fast",\n  "timeoutMs": 10 0\n}');
    expect(error.message).toContain('at line 3, column 19 (position 38)');
    expect(error.message.split('\n').slice(-2)).toEqual(['    "timeoutMs": 10 0', `  ${' '.repeat(18)}^`]);
  });

  it('trims a long line around the error', () => {
    const text = `{"a": "${'x'.repeat(200)}", "b": ?}`;
    const [line, caret] = parseError(text).message.split('\n').slice(-2);
    expect(line.length).toBeLessThanOrEqual(82);
    expect(line[caret.indexOf('^')]).toBe('?');
  });
});
