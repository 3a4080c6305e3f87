/** A labelled data set held as one flat row-major matrix, so kernels walk memory in order. */
export interface Dataset {
  /** Number of samples (rows). */
  readonly count: number;
  /** Features per sample (columns). */
  readonly dim: number;
  /** Number of label classes; labels are 0..classes-1. */
  readonly classes: number;
  /** `count × dim` values, sample i at `[i * dim, (i + 1) * dim)`. */
  readonly features: Float64Array;
  /** `count` labels. */
  readonly labels: Uint8Array;
}

/** The contiguous block of `count` items that `rank` of `size` owns: [start, end). */
export interface ShardRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits `count` items into `size` contiguous blocks in rank order; the first `count % size`
 * ranks get one item more. Contiguous blocks keep the data order of the single-process run, so
 * rank 0's block is the first part of the reference's data, rank 1's the next, and so on.
 */
export function shardRange(count: number, size: number, rank: number): ShardRange {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw new RangeError(`rank must be in 0..${size - 1}, got ${rank}`);
  const base = Math.floor(count / size);
  const extra = count % size;
  const start = rank * base + Math.min(rank, extra);
  return { start, end: start + base + (rank < extra ? 1 : 0) };
}

/** Samples [start, end) of `data` as a view (no copy). */
export function sliceDataset(data: Dataset, start: number, end: number): Dataset {
  if (!(0 <= start && start <= end && end <= data.count)) throw new RangeError(`slice [${start}, ${end}) is outside 0..${data.count}`);
  return {
    count: end - start,
    dim: data.dim,
    classes: data.classes,
    features: data.features.subarray(start * data.dim, end * data.dim),
    labels: data.labels.subarray(start, end),
  };
}

/** The shard of `data` that `rank` of `size` works on (a view). */
export function shardOf(data: Dataset, size: number, rank: number): Dataset {
  const { start, end } = shardRange(data.count, size, rank);
  return sliceDataset(data, start, end);
}
