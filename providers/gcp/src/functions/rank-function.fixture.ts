/**
 * A Cloud Function as a user writes it, for the end-to-end test: built by the test and served by
 * the real Functions Framework CLI. Each rank runs a few collectives over the gcs channel (bucket
 * from FMI_GCS_BUCKET in the invocation, emulator from the server's STORAGE_EMULATOR_HOST).
 */

import { fmiHttpFunction } from '@fmi/gcp';
import * as functions from '@google-cloud/functions-framework';

interface Input {
  readonly weight: number;
}

functions.http(
  'fmi-rank',
  fmiHttpFunction<Input>(async (comm, input) => {
    const sum = await comm.allreduce(new Float64Array([input.weight, 1]), 'sum');
    const fromRoot = await comm.bcast(new Int32Array(comm.rank === 0 ? [7, 11, 13] : [0, 0, 0]), 0);
    await comm.barrier();
    const ranks = await comm.allgatherValues(`rank-${comm.rank}`);
    // Which channels carried the calls, as the communicator saw it: proves the job ran over gcs.
    const channels = Object.keys(comm.stats().channels).filter((name) => comm.stats().channels[name]!.calls > 0);
    return { sum: Array.from(sum), fromRoot: Array.from(fromRoot), ranks, channels };
  }),
);
