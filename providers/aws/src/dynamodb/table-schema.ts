import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one table the DynamoDB channel uses. Partition key `pk` (string) is the job id, so a job's
 * items sit together and a job is listed with one Query; sort key `sk` (string) is the object key
 * relative to the job. Attributes: `v` (binary) the object bytes, `ttl` (number, epoch seconds) the
 * expiry that DynamoDB's TTL deletes after, `c` (number) a counter, `n`/`len` (numbers) on the head
 * item of a chunked object. On-demand billing: FMI's traffic is bursty and short.
 */
export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
export const TTL_ATTRIBUTE = 'ttl';

export function createTableInput(table: string): CreateTableCommandInput {
  return {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEY.partition, AttributeType: 'S' },
      { AttributeName: TABLE_KEY.sort, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' },
      { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}
