import { describe, expect, it } from 'vitest';
import { storageConfigFromEnv, storageEnv, tableNamesWithPrefix } from '../../lib/core/config.ts';
import { defaultSealOptions } from '../../lib/jobs/seal.ts';
import { defaultLogOptions } from '../../lib/storage/log.ts';

describe('storage configuration from a Lambda environment', () => {
  it('names every table and the bucket, with defaults', () => {
    expect(storageConfigFromEnv({ AWS_REGION: 'eu-west-1', SLUICE_LOG_TABLE: 'my-log', SLUICE_BUCKET: 'my-bucket' })).toEqual({
      region: 'eu-west-1',
      tables: { topics: 'sluice-topics', log: 'my-log', partitions: 'sluice-partitions', segments: 'sluice-segments', groups: 'sluice-groups', producers: 'sluice-producers' },
      bucket: 'my-bucket',
    });
  });

  it('reads back what storageEnv writes for the CDK stack, source bucket included', () => {
    const settings = { tables: tableNamesWithPrefix('prod-'), bucket: 'prod-data', sourceBucket: { name: 'home-data', region: 'eu-west-1' } };
    const env = { ...storageEnv(settings), AWS_REGION: 'eu-central-1' };
    expect(storageConfigFromEnv(env)).toEqual({ region: 'eu-central-1', ...settings });
  });

  it('takes the inline-batch threshold, within what an item can hold', () => {
    expect(storageConfigFromEnv({ AWS_REGION: 'us-east-1', SLUICE_INLINE_BATCH_BYTES: '4096' }).inlineBatchBytes).toBe(4096);
    for (const bad of ['-1', '4k', '400000', '']) {
      expect(() => storageConfigFromEnv({ AWS_REGION: 'us-east-1', SLUICE_INLINE_BATCH_BYTES: bad })).toThrow(
        /SLUICE_INLINE_BATCH_BYTES must be a byte count from 0 to 358400/,
      );
    }
  });

  it('refuses an unknown SLUICE_ variable (a typo) and a missing region', () => {
    expect(() => storageConfigFromEnv({ AWS_REGION: 'us-east-1', SLUICE_LOG_TABEL: 'x' })).toThrow(
      'unknown configuration variable(s): SLUICE_LOG_TABEL',
    );
    expect(() => storageConfigFromEnv({})).toThrow('AWS_REGION is not set');
  });
});

describe("the log's timeline (lib/storage/log.ts)", () => {
  it('trusts a confirmed log end for less time than the sealer waits before taking an item', () => {
    // Otherwise a reader could trust an end past which the sealer has since deleted items.
    expect(defaultLogOptions.endConfirmMs).toBeLessThan(defaultSealOptions.sealMinAgeMs);
  });
});
