// A job that crashes with data in the store: rank 0 sends rank 1 messages it never receives, then
// every rank exits without close(), as a crashed function would.
import { connect } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';

const comm = await connect({ modules: [selfHosted()] });
if (comm.rank === 0) for (let tag = 0; tag < 3; tag++) await comm.send(new Uint8Array(64), 1, { tag });
await comm.barrier();
console.log('leaving without close()');
process.exit(0);
