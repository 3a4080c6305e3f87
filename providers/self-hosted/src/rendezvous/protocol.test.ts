import { FmiError } from '@fmi/core';
import { describe, expect, it } from 'vitest';
import { parseRendezvousAddress } from './address.js';
import { authProof, deriveJobSecret, proofMatches } from './job-secret.js';
import { decodeAuth, decodeIntro, encodeAuthFields, encodeIntro, FrameBuilder, FrameDecoder, MessageType, Role } from './protocol.js';

const kindOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return FmiError.is(e) ? e.kind : 'other';
  }
  return 'none';
};

describe('rendezvous protocol', () => {
  it('round-trips AUTH and binds the proof to every field and the nonce', () => {
    const fields = { role: Role.Control, job: 'job-1', rank: 3, size: 8, pairId: 0, endpoints: [{ host: '10.0.0.5', port: 4000 }] } as const;
    const builder = encodeAuthFields(fields);
    const nonce = Buffer.alloc(32, 7);
    const secret = deriveJobSecret('server key', 'job-1');
    const frame = builder.bytes(authProof(secret, nonce, builder.payload())).frame(MessageType.Auth);
    const [decoded] = new FrameDecoder().push(frame);
    const auth = decodeAuth(decoded.payload);
    expect(auth).toMatchObject(fields);
    expect(proofMatches(authProof(secret, nonce, auth.signed), auth.proof)).toBe(true);
    expect(proofMatches(authProof(secret, Buffer.alloc(32, 8), auth.signed), auth.proof)).toBe(false);
    const tampered = Buffer.from(auth.signed);
    tampered[tampered.length - 3] ^= 1;
    expect(proofMatches(authProof(secret, nonce, tampered), auth.proof)).toBe(false);
  });

  it('round-trips INTRO', () => {
    const intro = {
      pairId: 9,
      peer: 4,
      token: Buffer.alloc(16, 1),
      initiator: true,
      observed: { host: '1.2.3.4', port: 5 },
      endpoints: [{ host: '::1', port: 6 }],
    };
    const [f] = new FrameDecoder().push(encodeIntro(intro));
    expect(decodeIntro(f.payload)).toEqual(intro);
  });

  it('refuses an oversized frame from its header, a wrong version, truncated fields and trailing bytes', () => {
    expect(kindOf(() => new FrameDecoder().push(Buffer.from([1, 2, 0xff, 0xff])))).toBe('protocol');
    expect(kindOf(() => new FrameDecoder().push(Buffer.from([2, 2, 0, 0])))).toBe('protocol');
    expect(kindOf(() => decodeAuth(new FrameBuilder().u8(1).str8('j').payload()))).toBe('protocol');
    expect(kindOf(() => decodeIntro(Buffer.concat([new FrameBuilder().u32(1).payload(), Buffer.alloc(60)])))).toBe('protocol');
  });

  it('parses rendezvous addresses and names the field of a bad one', () => {
    expect(parseRendezvousAddress('tcp://10.0.0.5:10000', 'x')).toEqual({ host: '10.0.0.5', port: 10000 });
    expect(parseRendezvousAddress('[::1]:7', 'x')).toEqual({ host: '::1', port: 7 });
    expect(parseRendezvousAddress('rdv.example:80', 'x')).toEqual({ host: 'rdv.example', port: 80 });
    for (const bad of ['', 'http://h:1', 'tcp://h', 'tcp://h:0', 'tcp://h:1/path']) {
      expect(() => parseRendezvousAddress(bad, 'FMI_RENDEZVOUS')).toThrow(/FMI_RENDEZVOUS/);
    }
  });
});
