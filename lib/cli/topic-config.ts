/**
 * Topic config keys as a Kafka user types them (`retention.ms=86400000`) or as the API
 * names them (`retentionMs=86400000`), turned into the API's typed config and back.
 */
import type { TopicConfig } from '../client/client.ts';
import { apiConfigKey, apiConfigKeys, configValueFromText, defaultTopicConfig, kafkaConfigNames } from '../core/topic-config.ts';
import { UsageError } from './errors.ts';

type ConfigKey = keyof TopicConfig;

/** Parses `--config key=value` entries; an unknown key, a bad value or a repeat is a usage error. */
export function parseConfigEntries(entries: readonly string[] | undefined): TopicConfig {
  const config: Record<string, string | number> = {};
  for (const entry of entries ?? []) {
    const at = entry.indexOf('=');
    if (at < 0) throw new UsageError(`--config takes key=value, not '${entry}'`);
    const name = entry.slice(0, at);
    const key = apiConfigKey(name);
    if (key === undefined) {
      throw new UsageError(`unknown config '${name.trim()}' (known: ${apiConfigKeys.map((k) => kafkaConfigNames[k]).join(', ')})`);
    }
    if (key in config) throw new UsageError(`config ${kafkaConfigNames[key]} is given twice`);
    config[key] = parseValue(key, entry.slice(at + 1).trim());
  }
  return config as TopicConfig;
}

/** `--add-config k=v,k=v` values (kafka-configs' comma-separated lists) as single `k=v` entries. */
export function parseConfigList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/**
 * `--delete-config k,k` as a config change that restores each key's default: Kafka drops
 * the topic's override, and the topic then has the default value, which is what is sent.
 */
export function parseConfigNames(values: readonly string[] | undefined): Partial<TopicConfig> {
  const config: Record<string, string | number> = {};
  for (const name of parseConfigList(values)) {
    const key = apiConfigKey(name);
    if (key === undefined) {
      throw new UsageError(`unknown config '${name}' (known: ${apiConfigKeys.map((k) => kafkaConfigNames[k]).join(', ')})`);
    }
    config[key] = defaultTopicConfig[key];
  }
  return config as Partial<TopicConfig>;
}

function parseValue(key: ConfigKey, value: string): string | number {
  if (key === 'cleanupPolicy' && value !== 'delete' && value !== 'compact') {
    throw new UsageError(`cleanup.policy must be delete or compact, not '${value}'`);
  }
  // Text keys go as they are (the server checks compression.type); -1 is Kafka's "no
  // limit" for retention, and the server decides what else it accepts.
  const parsed = configValueFromText(key, value);
  if (Number.isNaN(parsed)) throw new UsageError(`${kafkaConfigNames[key]} must be an integer, not '${value}'`);
  return parsed;
}

/** `cleanup.policy=delete,retention.ms=604800000,...` as kafka-topics prints Configs. */
export function formatConfig(topicConfig: TopicConfig | Readonly<Record<string, unknown>>): string {
  const config = topicConfig as Readonly<Record<string, unknown>>;
  const known = apiConfigKeys.filter((key) => config[key] !== undefined && config[key] !== null);
  const others = Object.keys(config)
    .filter((key) => !(apiConfigKeys as string[]).includes(key) && config[key] !== undefined && config[key] !== null)
    .sort();
  return [
    ...known.map((key) => `${kafkaConfigNames[key]}=${String(config[key])}`),
    ...others.map((key) => `${key}=${String(config[key])}`),
  ].join(',');
}
