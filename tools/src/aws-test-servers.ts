import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { type DynaliteHandle, startDynalite } from './dynalite-server.js';
import { type S3rverHandle, startS3rver } from './s3rver-server.js';

/** The region the local AWS stand-ins are addressed in. */
export const LOCAL_AWS_REGION = 'us-east-1';

interface S3Servers {
  readonly s3rver: S3rverHandle;
  /** An S3 client on s3rver, for looking at the buckets from outside the code under test. */
  readonly s3Admin: S3Client;
  /** s3rver's credentials and the region as `AWS_*` variables: the standard chain of a child process (as on Lambda). */
  readonly credentialsEnv: { readonly AWS_ACCESS_KEY_ID: string; readonly AWS_SECRET_ACCESS_KEY: string; readonly AWS_REGION: string };
  /** Stops every server started. */
  stop(): Promise<void>;
}

interface DynamoServers {
  readonly dynalite: DynaliteHandle;
  /** A DynamoDB client on dynalite, for looking at the tables from outside the code under test. */
  readonly dynamoAdmin: DynamoDBClient;
}

export type AwsTestServers<WithDynalite extends boolean = false> = S3Servers & (WithDynalite extends true ? DynamoServers : unknown);

export interface StartAwsTestServersOptions<WithDynalite extends boolean> {
  /** Buckets s3rver creates at start. */
  readonly buckets: readonly string[];
  /** Start dynalite as well. */
  readonly dynalite?: WithDynalite;
}

/**
 * The local AWS of the integration tests: s3rver with `buckets` (and dynalite if asked), each on a
 * free port with a temp dir, plus admin clients on them. Call `stop()` in `afterAll`.
 */
export async function startAwsTestServers<WithDynalite extends boolean = false>(
  options: StartAwsTestServersOptions<WithDynalite>,
): Promise<AwsTestServers<WithDynalite>> {
  const s3rver = await startS3rver({ buckets: options.buckets });
  let dynalite: DynaliteHandle | undefined;
  try {
    if (options.dynalite) dynalite = await startDynalite();
  } catch (error) {
    await s3rver.stop();
    throw error;
  }
  const s3Admin = new S3Client({
    region: LOCAL_AWS_REGION,
    endpoint: s3rver.endpoint,
    forcePathStyle: true,
    credentials: s3rver.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const servers: S3Servers & Partial<DynamoServers> = {
    s3rver,
    s3Admin,
    credentialsEnv: {
      AWS_ACCESS_KEY_ID: s3rver.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3rver.credentials.secretAccessKey,
      AWS_REGION: LOCAL_AWS_REGION,
    },
    stop: async () => {
      await Promise.all([s3rver.stop(), dynalite?.stop()]);
    },
    ...(dynalite
      ? { dynalite, dynamoAdmin: new DynamoDBClient({ region: LOCAL_AWS_REGION, endpoint: dynalite.endpoint, credentials: dynalite.credentials }) }
      : {}),
  };
  return servers as AwsTestServers<WithDynalite>;
}
