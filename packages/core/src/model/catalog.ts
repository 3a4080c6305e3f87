import type { OpName } from '../api.js';
import type { ChannelKind, ObjectRequest } from '../channel.js';

/**
 * The cost of one call of an algorithm, in primitive steps, derived from the comment on each
 * algorithm (algorithms/message/*, algorithms/object/*). N ranks, B bytes per rank as the caller
 * passes them, L = ⌈log2 N⌉, c = requests one rank keeps in flight.
 */
export interface AlgorithmCost {
  /** Sequential message or request round trips on the critical path. */
  readonly depth: number;
  /** Bytes one rank moves on the critical path (what bandwidth limits). */
  readonly bytes: number;
  /** Waits on objects on the critical path that a polling store pays its poll delay for. */
  readonly waits: number;
  /** Requests (object channels) or messages (message channels), summed over all ranks. */
  readonly requests: Readonly<Partial<Record<ObjectRequest | 'message', number>>>;
  /** Bytes moved in total (for per-byte prices). */
  readonly transferred: number;
  /** Largest single message or object the call creates. */
  readonly maxPayload: number;
}

export interface CostInput {
  readonly n: number;
  readonly bytes: number;
  /** Object channels: requests in flight per rank. */
  readonly concurrency: number;
}

export interface AlgorithmSpec {
  readonly op: OpName;
  readonly name: string;
  readonly family: ChannelKind;
  /** Requirements on the reduction op and the channel. */
  readonly needs?: { readonly commutative?: boolean; readonly associative?: boolean; readonly atomicCounter?: boolean };
  cost(input: CostInput): AlgorithmCost;
}

const log2 = (n: number) => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));
const isPow2 = (n: number) => (n & (n - 1)) === 0;
const waves = (k: number, c: number) => (k <= 0 ? 0 : Math.ceil(k / Math.max(1, c)));

function cost(c: Partial<AlgorithmCost> & Pick<AlgorithmCost, 'depth' | 'bytes'>): AlgorithmCost {
  return { waits: 0, requests: {}, transferred: 0, maxPayload: 0, ...c };
}

/** Messages: depth × (α + per-step bytes/β); `messages` counts every send in the job. */
const message: AlgorithmSpec[] = [
  {
    op: 'send',
    name: 'direct',
    family: 'message',
    cost: ({ bytes }) => cost({ depth: 1, bytes, requests: { message: 1 }, transferred: bytes, maxPayload: bytes }),
  },
  {
    op: 'bcast',
    name: 'binomial',
    family: 'message',
    cost: ({ n, bytes }) => cost({ depth: log2(n), bytes: log2(n) * bytes, requests: { message: n - 1 }, transferred: (n - 1) * bytes, maxPayload: bytes }),
  },
  { op: 'barrier', name: 'dissemination', family: 'message', cost: ({ n }) => cost({ depth: log2(n), bytes: 0, requests: { message: n * log2(n) } }) },
  {
    op: 'gather',
    name: 'binomial',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({
        depth: log2(n),
        bytes: (n - 1) * bytes,
        requests: { message: n - 1 },
        transferred: (log2(n) * n * bytes) / 2,
        maxPayload: Math.ceil(n / 2) * bytes,
      }),
  },
  {
    op: 'scatter',
    name: 'binomial',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({
        depth: log2(n),
        bytes: (n - 1) * bytes,
        requests: { message: n - 1 },
        transferred: (log2(n) * n * bytes) / 2,
        maxPayload: Math.ceil(n / 2) * bytes,
      }),
  },
  {
    op: 'reduce',
    name: 'binomial',
    family: 'message',
    needs: { commutative: true, associative: true },
    cost: ({ n, bytes }) => cost({ depth: log2(n), bytes: log2(n) * bytes, requests: { message: n - 1 }, transferred: (n - 1) * bytes, maxPayload: bytes }),
  },
  {
    op: 'reduce',
    name: 'gather-fold',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({
        depth: log2(n),
        bytes: (n - 1) * bytes,
        requests: { message: n - 1 },
        transferred: (log2(n) * n * bytes) / 2,
        maxPayload: Math.ceil(n / 2) * bytes,
      }),
  },
  {
    op: 'allreduce',
    name: 'recursive-doubling',
    family: 'message',
    needs: { associative: true },
    cost: ({ n, bytes }) => {
      const d = Math.floor(Math.log2(Math.max(1, n))) + (isPow2(n) ? 0 : 2);
      return cost({ depth: d, bytes: d * bytes, requests: { message: n * d }, transferred: n * d * bytes, maxPayload: bytes });
    },
  },
  {
    op: 'allreduce',
    name: 'ring',
    family: 'message',
    needs: { commutative: true, associative: true },
    cost: ({ n, bytes }) =>
      cost({
        depth: 2 * (n - 1),
        bytes: (2 * (n - 1) * bytes) / n,
        requests: { message: 2 * n * (n - 1) },
        transferred: 2 * (n - 1) * bytes,
        maxPayload: Math.ceil(bytes / n),
      }),
  },
  {
    op: 'allreduce',
    name: 'reduce-bcast',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({
        depth: 2 * log2(n),
        bytes: (n - 1 + log2(n)) * bytes,
        requests: { message: 2 * (n - 1) },
        transferred: 2 * (n - 1) * bytes,
        maxPayload: Math.ceil(n / 2) * bytes,
      }),
  },
  {
    op: 'allgather',
    name: 'recursive-doubling',
    family: 'message',
    cost: ({ n, bytes }) => {
      const d = Math.floor(Math.log2(Math.max(1, n))) + (isPow2(n) ? 0 : 2);
      return cost({ depth: d, bytes: (n - 1) * bytes, requests: { message: n * d }, transferred: n * (n - 1) * bytes, maxPayload: n * bytes });
    },
  },
  {
    op: 'allgather',
    name: 'ring',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({ depth: n - 1, bytes: (n - 1) * bytes, requests: { message: n * (n - 1) }, transferred: n * (n - 1) * bytes, maxPayload: bytes }),
  },
  {
    op: 'alltoall',
    name: 'pairwise',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({ depth: n - 1, bytes: ((n - 1) * bytes) / n, requests: { message: n * (n - 1) }, transferred: (n - 1) * bytes, maxPayload: Math.ceil(bytes / n) }),
  },
  {
    op: 'reduceScatter',
    name: 'ring',
    family: 'message',
    needs: { commutative: true, associative: true },
    cost: ({ n, bytes }) =>
      cost({ depth: n - 1, bytes: ((n - 1) * bytes) / n, requests: { message: n * (n - 1) }, transferred: (n - 1) * bytes, maxPayload: Math.ceil(bytes / n) }),
  },
  {
    op: 'reduceScatter',
    name: 'recursive-doubling',
    family: 'message',
    needs: { associative: true },
    cost: ({ n, bytes }) => {
      const d = Math.floor(Math.log2(Math.max(1, n))) + (isPow2(n) ? 0 : 2);
      return cost({ depth: d, bytes: d * bytes, requests: { message: n * d }, transferred: n * d * bytes, maxPayload: bytes });
    },
  },
  {
    op: 'reduceScatter',
    name: 'reduce-scatter',
    family: 'message',
    cost: ({ n, bytes }) =>
      cost({
        depth: 2 * log2(n),
        bytes: 2 * (n - 1) * bytes,
        requests: { message: 2 * (n - 1) },
        transferred: 2 * (n - 1) * bytes,
        maxPayload: Math.ceil(n / 2) * bytes,
      }),
  },
  ...(['scan', 'exscan'] as const).flatMap((op): AlgorithmSpec[] => [
    {
      op,
      name: 'recursive-doubling',
      family: 'message',
      needs: { associative: true },
      cost: ({ n, bytes }) =>
        cost({ depth: log2(n), bytes: log2(n) * bytes, requests: { message: n * log2(n) }, transferred: n * log2(n) * bytes, maxPayload: bytes }),
    },
    {
      op,
      name: 'chain',
      family: 'message',
      cost: ({ n, bytes }) => cost({ depth: n - 1, bytes: (n - 1) * bytes, requests: { message: n - 1 }, transferred: (n - 1) * bytes, maxPayload: bytes }),
    },
  ]),
];

/** Object stores: depth counts request waves (a wave of k parallel requests costs ⌈k/c⌉). */
const object: AlgorithmSpec[] = [
  {
    op: 'send',
    name: 'put-get',
    family: 'object',
    cost: ({ bytes }) => cost({ depth: 2, bytes: 2 * bytes, waits: 1, requests: { put: 1, get: 1, delete: 1 }, transferred: 2 * bytes, maxPayload: bytes }),
  },
  {
    op: 'bcast',
    name: 'put-get',
    family: 'object',
    cost: ({ n, bytes }) => cost({ depth: 2, bytes: 2 * bytes, waits: 1, requests: { put: 1, get: n - 1 }, transferred: n * bytes, maxPayload: bytes }),
  },
  {
    op: 'barrier',
    name: 'counter',
    family: 'object',
    needs: { atomicCounter: true },
    cost: ({ n }) => cost({ depth: 3, bytes: 0, waits: 1, requests: { increment: n, put: 1, get: n - 1 } }),
  },
  {
    op: 'barrier',
    name: 'markers',
    family: 'object',
    // Polling the listing: about two lists per rank with a short first poll delay.
    cost: ({ n }) => cost({ depth: 3, bytes: 0, waits: 1, requests: { put: n, list: 2 * n } }),
  },
  ...(['gather', 'reduce'] as const).map(
    (op): AlgorithmSpec => ({
      op,
      name: 'put-get',
      family: 'object',
      cost: ({ n, bytes, concurrency }) =>
        cost({
          depth: 1 + waves(n - 1, concurrency),
          bytes: n * bytes,
          waits: 1,
          requests: { put: n - 1, get: n - 1, delete: n - 1 },
          transferred: 2 * (n - 1) * bytes,
          maxPayload: bytes,
        }),
    }),
  ),
  {
    op: 'scatter',
    name: 'put-get',
    family: 'object',
    cost: ({ n, bytes, concurrency }) =>
      cost({
        depth: waves(n - 1, concurrency) + 1,
        bytes: n * bytes,
        waits: 1,
        requests: { put: n - 1, get: n - 1, delete: n - 1 },
        transferred: 2 * (n - 1) * bytes,
        maxPayload: bytes,
      }),
  },
  {
    op: 'allreduce',
    name: 'reduce-bcast',
    family: 'object',
    cost: ({ n, bytes, concurrency }) =>
      cost({
        depth: 3 + waves(n - 1, concurrency),
        bytes: (n + 1) * bytes,
        waits: 2,
        requests: { put: n, get: 2 * (n - 1), delete: n - 1 },
        transferred: (3 * n - 2) * bytes,
        maxPayload: bytes,
      }),
  },
  {
    op: 'allreduce',
    name: 'scatter-reduce',
    family: 'object',
    cost: ({ n, bytes, concurrency }) =>
      cost({
        depth: 2 * waves(n - 1, concurrency) + 2,
        bytes: (4 * (n - 1) * bytes) / n,
        waits: 2,
        requests: { put: n * (n - 1) + n, get: 2 * n * (n - 1), delete: n * (n - 1) },
        transferred: 4 * (n - 1) * bytes,
        maxPayload: Math.ceil(bytes / n),
      }),
  },
  {
    op: 'allgather',
    name: 'put-get',
    family: 'object',
    cost: ({ n, bytes, concurrency }) =>
      cost({
        depth: 1 + waves(n - 1, concurrency),
        bytes: n * bytes,
        waits: 1,
        requests: { put: n, get: n * (n - 1) },
        transferred: n * n * bytes,
        maxPayload: bytes,
      }),
  },
  ...(['alltoall', 'reduceScatter'] as const).map(
    (op): AlgorithmSpec => ({
      op,
      name: 'put-get',
      family: 'object',
      cost: ({ n, bytes, concurrency }) =>
        cost({
          depth: 2 * waves(n - 1, concurrency),
          bytes: (2 * (n - 1) * bytes) / n,
          waits: 1,
          requests: { put: n * (n - 1), get: n * (n - 1), delete: n * (n - 1) },
          transferred: 2 * (n - 1) * bytes,
          maxPayload: Math.ceil(bytes / n),
        }),
    }),
  ),
  ...(['scan', 'exscan'] as const).map(
    (op): AlgorithmSpec => ({
      op,
      name: 'put-get',
      family: 'object',
      cost: ({ n, bytes, concurrency }) =>
        cost({
          depth: 1 + waves(n - 1, concurrency),
          bytes: n * bytes,
          waits: 1,
          requests: { put: n - 1, get: (n * (n - 1)) / 2 },
          transferred: ((n * (n + 1)) / 2) * bytes,
          maxPayload: bytes,
        }),
    }),
  ),
];

export const ALGORITHMS: readonly AlgorithmSpec[] = [...message, ...object];
