import { FmiError } from '@fmi/core';
import { describe, expect, it } from 'vitest';
import { DataFrameDecoder, encodeHeader, type MessageSink, tagByteLength } from './data-frame.js';

function frame(tag: string, payload: Uint8Array): Buffer {
  return Buffer.concat([encodeHeader(tag, tagByteLength(tag), payload.byteLength), payload]);
}

function decoderInto(max = 1 << 20) {
  const messages: Array<{ tag: string; bytes: number[] }> = [];
  const decoder = new DataFrameDecoder(
    {
      begin: (tag, length): MessageSink & { tag: string } => ({ tag, length, received: 0, target: new Uint8Array(length), discard: false }),
      end: (sink) => messages.push({ tag: (sink as MessageSink & { tag: string }).tag, bytes: [...sink.target] }),
    },
    max,
    'test peer',
  );
  return { decoder, messages };
}

describe('data frames', () => {
  it('decodes frames split at every byte boundary, including empty payloads and UTF-8 tags', () => {
    const stream = Buffer.concat([frame('a', new Uint8Array([1, 2, 3])), frame('', new Uint8Array(0)), frame('ü-tag', new Uint8Array([9]))]);
    for (let cut = 1; cut < stream.length; cut++) {
      const { decoder, messages } = decoderInto();
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      expect(messages).toEqual([
        { tag: 'a', bytes: [1, 2, 3] },
        { tag: '', bytes: [] },
        { tag: 'ü-tag', bytes: [9] },
      ]);
    }
    const { decoder, messages } = decoderInto();
    for (const byte of stream) decoder.push(Buffer.from([byte]));
    expect(messages).toHaveLength(3);
  });

  it('refuses a length above the limit before allocating, with protocol', () => {
    const { decoder } = decoderInto(1000);
    const error = (() => {
      try {
        decoder.push(encodeHeader('t', 1, 1001));
      } catch (e) {
        return e;
      }
    })();
    expect(FmiError.isKind(error, 'protocol')).toBe(true);
  });

  it('writes the header as tag length, tag, u32 length', () => {
    expect([...encodeHeader('ab', 2, 258)]).toEqual([2, 97, 98, 0, 0, 1, 2]);
  });
});
