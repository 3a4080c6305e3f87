// Rank 0 prints what comm.plan() answers for the query in argv: op, bytes, hint.
import { connect } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';

const [op, bytes, hint] = process.argv.slice(2);
const comm = await connect({ modules: [selfHosted()] });
if (comm.rank === 0) console.log(`PLAN ${JSON.stringify(comm.plan({ op, bytes: Number(bytes), hint }))}`);
await comm.close();
