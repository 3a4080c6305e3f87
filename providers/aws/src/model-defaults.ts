import { type ChannelModel, channelModel, type PriceBook } from '@fmi/core';

/**
 * Default model parameters of the AWS channels and the AWS price book. Sources: the FMI paper
 * (ICS 2023) and its artifact for latencies measured from Lambda (see README "Model defaults"),
 * the public AWS price lists (us-east-1) for prices. `fmi calibrate` replaces the latencies with
 * measured ones; `config.model.channels.<name>` overrides any field.
 */

/**
 * S3 Standard. FMI fit 40.4 ms per request and 50 MB/s per transfer (R² 0.97-0.99); it measured a
 * 1-byte send at 36 ms. Prices: PUT/COPY/POST/LIST $0.005 per 1,000, GET $0.0004 per 1,000;
 * DELETE is free. Transfer inside one region is free. Concurrency 8: a rank issues the puts and
 * gets of one collective step in parallel (S3 scales per prefix far beyond that). Poll delay 25 ms:
 * a polled get pays on average half a poll interval, and with our backoff (10 ms first, doubling
 * to 200 ms) waits of one S3 round trip see intervals around 40-80 ms.
 */
export const S3_MODEL_DEFAULTS: ChannelModel = channelModel({
  latencyMs: 40,
  bandwidthBytesPerMs: 50_000,
  concurrency: 8,
  pollDelayMs: 25,
  pricePerRequest: { put: 0.005 / 1000, get: 0.0004 / 1000, list: 0.005 / 1000, delete: 0 },
  pricePerByte: 0,
  pricePerHour: 0,
});

/** One DynamoDB on-demand write request unit (a write of up to 1 KB), US$ ($0.625 per million). */
export const DYNAMODB_WRITE_UNIT_PRICE = 0.625 / 1_000_000;
/** One read request unit (a strongly consistent read of up to 4 KB), US$ ($0.125 per million). */
export const DYNAMODB_READ_UNIT_PRICE = 0.125 / 1_000_000;

/**
 * DynamoDB on-demand. FMI measured GetItem at ~34 ms from Lambda (its baseline was the
 * LambdaML DynamoDB channel); a same-region PutItem/GetItem from a warm Lambda is usually 5-10 ms,
 * so we take 10 ms until `fmi calibrate` measures the deployment. Bandwidth 20 MB/s: items are at
 * most 400 KB, so a large object is several requests (we chunk at 380,000 bytes). Prices per
 * request are one unit (an item of at most 1 KB written, 4 KB read consistently); the per-byte
 * price adds the write units of larger items ($0.625 per million KB), the dominant cost. List is a
 * Query (read units), delete and increment are writes.
 */
export const DYNAMODB_MODEL_DEFAULTS: ChannelModel = channelModel({
  latencyMs: 10,
  bandwidthBytesPerMs: 20_000,
  concurrency: 8,
  pollDelayMs: 10,
  pricePerRequest: {
    put: DYNAMODB_WRITE_UNIT_PRICE,
    get: DYNAMODB_READ_UNIT_PRICE,
    list: DYNAMODB_READ_UNIT_PRICE,
    delete: DYNAMODB_WRITE_UNIT_PRICE,
    increment: DYNAMODB_WRITE_UNIT_PRICE,
  },
  pricePerByte: DYNAMODB_WRITE_UNIT_PRICE / 1024,
  pricePerHour: 0,
});

/** AWS Lambda on x86 in us-east-1: $0.0000166667 per GB-second and $0.20 per million requests. */
export const AWS_LAMBDA_PRICE_BOOK: PriceBook = {
  name: 'aws-lambda-x86',
  functionPerGiBSecond: 0.0000166667,
  functionPerRequest: 0.2 / 1_000_000,
};
