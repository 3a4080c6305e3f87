import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { importPeerSdk, sharedClient } from '@fmi/core';
import { credentialsKey } from '../sdk-loader.js';
import type { AwsCredentialsOption } from '../settings-check.js';

export type DynamoDbSdk = typeof import('@aws-sdk/client-dynamodb');

/** `@aws-sdk/client-dynamodb`, imported on first use only (an optional peer dependency); a failed import is retried next time. */
export function dynamoDbSdk(): Promise<DynamoDbSdk> {
  return importPeerSdk(() => import('@aws-sdk/client-dynamodb'), { channel: 'dynamodb', packageName: '@aws-sdk/client-dynamodb', range: '^3' });
}

export interface DynamoDbClientSettings {
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly credentials: AwsCredentialsOption | undefined;
  readonly maxSockets: number;
  /**
   * `false` for the client that sends increments: the SDK would resend an UpdateItem ADD whose
   * answer was lost, counting twice. That client makes one attempt and the channel resends only
   * what was certainly refused (throttling).
   */
  readonly retries: boolean;
}

/** One client per distinct setting per process (core's `sharedClient`), reused across warm starts (see s3-client.ts). */
const clients = new Map<string, Promise<DynamoDBClient>>();

export function dynamoDbClient(settings: DynamoDbClientSettings): Promise<DynamoDBClient> {
  const key = JSON.stringify([settings.region, settings.endpoint ?? '', credentialsKey(settings.credentials), settings.retries]);
  return sharedClient(clients, key, async () => {
    const { DynamoDBClient } = await dynamoDbSdk();
    return new DynamoDBClient({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: typeof settings.credentials === 'function' ? settings.credentials : { ...settings.credentials } } : {}),
      ...(settings.retries ? {} : { maxAttempts: 1 }),
      requestHandler: { httpAgent: { keepAlive: true, maxSockets: settings.maxSockets }, httpsAgent: { keepAlive: true, maxSockets: settings.maxSockets } },
    });
  });
}
