import { type Channel, type ChannelProvider, effectiveModel, type FmiConfig, type Logger, type PolicyChannel, type PriceBook } from '@fmi/core';

/**
 * Settings that make a provider create its channel when the real ones are absent, for commands
 * that only need a channel's model and capabilities (`fmi plan`): `create()` does no I/O, so a
 * placeholder address is never contacted. Keyed by channel name; a provider not listed here is
 * planned only when its real settings are present.
 */
const PLACEHOLDER_ENV: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  direct: { FMI_RENDEZVOUS: 'tcp://127.0.0.1:9', FMI_SECRET: 'placeholder-secret-for-planning' },
  redis: { FMI_REDIS_URL: 'redis://127.0.0.1:6379' },
  s3: { FMI_S3_BUCKET: 'fmi-placeholder' },
  dynamodb: { FMI_DYNAMODB_TABLE: 'fmi-placeholder' },
  gcs: { FMI_GCS_BUCKET: 'fmi-placeholder' },
  'azure-blob': { FMI_AZURE_CONTAINER: 'fmi-placeholder', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' },
};

export interface CreatedChannel {
  readonly name: string;
  readonly channel: Channel;
  /** Created from placeholder settings: only its model and capabilities mean anything. */
  readonly placeholder: boolean;
}

export interface CreateChannelsInput {
  readonly providers: readonly ChannelProvider[];
  readonly config: FmiConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly size: number;
  readonly job: string;
  /** Fill in placeholder settings for channels whose settings are absent. */
  readonly placeholders: boolean;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Creates (never opens) the channel of every provider, as rank 0 would in `connect()`: a provider
 * whose settings are present but wrong throws its `config` error naming the field, before any rank
 * starts.
 */
export function createChannels(input: CreateChannelsInput): CreatedChannel[] {
  const out: CreatedChannel[] = [];
  for (const provider of input.providers) {
    const ctx = (env: Readonly<Record<string, string | undefined>>) => ({
      rank: 0,
      size: input.size,
      job: input.job,
      secret: env.FMI_SECRET,
      config: input.config,
      env,
      logger: quiet,
      clock: { now: () => Date.now() },
    });
    const real = provider.create(ctx(input.env));
    if (real) {
      out.push({ name: real.name, channel: real, placeholder: false });
      continue;
    }
    const fill = PLACEHOLDER_ENV[provider.name];
    if (!input.placeholders || !fill) continue;
    const stand = provider.create(ctx({ ...fill, ...input.env }));
    if (stand) out.push({ name: stand.name, channel: stand, placeholder: true });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** What `connect()` hands the policy: each channel with the config's model overrides applied. */
export function policyChannels(channels: readonly CreatedChannel[], config: FmiConfig): PolicyChannel[] {
  return channels.map(({ name, channel }) => ({ name, channel, model: effectiveModel(name, channel.model, config) }));
}

export function effectivePrices(base: PriceBook, config: FmiConfig): PriceBook {
  return {
    name: base.name,
    functionPerGiBSecond: config.model.functionPerGiBSecond ?? base.functionPerGiBSecond,
    functionPerRequest: config.model.functionPerRequest ?? base.functionPerRequest,
  };
}
