/**
 * `@fmi/examples`: the examples' logic as functions over a `Communicator`, so other programs and
 * tests can run them on any channel; the runnable scripts are `dist/kmeans.js`, `dist/softmax.js`
 * and `dist/hello-collectives.js` (start them with `fmi run`).
 */
export { type Dataset, type ShardRange, shardOf, shardRange, sliceDataset } from './data/dataset.js';
export { loadMnist, type MnistOptions, type MnistSplit } from './data/mnist.js';
export { mulberry32, type Prng, shuffleInPlace } from './data/prng.js';
export { type CheckResult, type HelloOptions, type HelloResult, runHelloCollectives } from './hello-collectives.js';
export { initialCentroids, type KmeansEpoch, type KmeansOptions, type KmeansParams, type KmeansResult, kmeansReference, runKmeans } from './kmeans.js';
export { providerModules } from './provider-modules.js';
export {
  runSoftmax,
  type SoftmaxEpoch,
  type SoftmaxMetrics,
  type SoftmaxOptions,
  type SoftmaxParams,
  type SoftmaxResult,
  softmaxReference,
} from './softmax.js';
