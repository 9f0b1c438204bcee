/** Consumer lag for the scheduled jobs' metrics: each group's total, as describe answers it. */
import { GroupNotFoundError } from '../core/errors.ts';
import type { Storage } from '../storage/index.ts';

export interface GroupLag {
  readonly group: string;
  /** Records between each partition's committed offset and its high watermark, summed. */
  readonly totalLag: number;
}

/** Every group's total lag, computed as GET /v1/groups/{group} does. */
export async function consumerLags(storage: Storage): Promise<GroupLag[]> {
  const lags: GroupLag[] = [];
  for (const { group } of await storage.coordinator.list()) {
    try {
      lags.push({ group, totalLag: (await storage.coordinator.describe(group)).totalLag });
    } catch (error) {
      if (!(error instanceof GroupNotFoundError)) throw error; // deleted since the listing
    }
  }
  return lags;
}
