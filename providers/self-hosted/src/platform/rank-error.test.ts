import { describe, expect, it } from 'vitest';
import { guessErrorFromStderr, parseErrorRecord } from './rank-error.js';
import { RANK_ERROR_MARKER } from './rank-hooks.js';

describe('parseErrorRecord', () => {
  it('reads the record the rank hooks write', () => {
    expect(parseErrorRecord(`${RANK_ERROR_MARKER}{"name":"FmiError","message":"[fmi] peer 2 lost","kind":"peer-lost"}`)).toEqual({
      message: 'FmiError: [fmi] peer 2 lost',
      kind: 'peer-lost',
    });
    expect(parseErrorRecord(`${RANK_ERROR_MARKER}{"message":"plain"}`)).toEqual({ message: 'Error: plain' });
  });

  it('ignores other lines and broken records', () => {
    expect(parseErrorRecord('Error: boom')).toBeUndefined();
    expect(parseErrorRecord(`${RANK_ERROR_MARKER}{not json`)).toBeUndefined();
  });
});

describe('guessErrorFromStderr', () => {
  it("takes the first error line of Node's report and the FmiError kind below it", () => {
    const report = [
      'file:///app.js:3',
      "  throw new FmiError('protocol', 'bad frame');",
      '  ^',
      '',
      'FmiError: [fmi] bad frame',
      '    at file:///app.js:3:9',
      "  kind: 'protocol',",
      '  retryable: false,',
    ];
    expect(guessErrorFromStderr(report)).toEqual({ message: 'FmiError: [fmi] bad frame', kind: 'protocol' });
  });

  it('recognises Node error codes and falls back to the last line', () => {
    expect(guessErrorFromStderr(["Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'"])).toEqual({
      message: "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'",
    });
    expect(guessErrorFromStderr(['starting', 'out of memory?', ''])).toEqual({ message: 'out of memory?' });
    expect(guessErrorFromStderr([])).toBeUndefined();
  });
});
