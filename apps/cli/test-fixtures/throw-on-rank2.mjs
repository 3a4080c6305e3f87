// Rank 2 throws after connecting; the other ranks wait in a collective that can never complete.
import { connect } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';

const comm = await connect({ modules: [selfHosted()] });
if (comm.rank === 2) throw new Error('rank 2 gives up on purpose');
await comm.allreduce(new Int32Array([1]), 'sum');
console.log('unreachable: the allreduce needs rank 2');
