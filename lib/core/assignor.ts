/**
 * Fair shares for lease-based consumer groups (the Kinesis Client Library's pattern): each
 * member computes, from the same view of live members and leases, how many partitions of
 * each topic it should hold, then releases a surplus or takes free leases, one heartbeat
 * at a time. Nobody stops consuming the partitions it keeps: there is no stop-the-world
 * rebalance, only leases changing hands.
 */

export interface LeaseView {
  readonly topic: string;
  readonly partition: number;
  /** The holder, or null when free. An expired lease counts as free. */
  readonly owner: string | null;
}

export interface ShareInput {
  readonly me: string;
  /** Live members and the topics each subscribes to. */
  readonly members: ReadonlyMap<string, readonly string[]>;
  /** Partition count per topic that `me` subscribes to. */
  readonly partitions: ReadonlyMap<string, number>;
  readonly leases: readonly LeaseView[];
}

export interface SharePlan {
  /** Partitions `me` holds and should give up now (over its share). */
  readonly release: ReadonlyArray<{ topic: string; partition: number }>;
  /** Free partitions `me` should try to take (under its share). */
  readonly take: ReadonlyArray<{ topic: string; partition: number }>;
}

/**
 * How many of a topic's partitions each subscribed member should hold: an even split,
 * the remainder going to members in id order from a place that rotates with the topic's
 * name, so that many topics do not all give their extra partition to the same member.
 */
export function fairShares(topic: string, partitions: number, members: readonly string[]): Map<string, number> {
  const sorted = [...members].sort();
  const shares = new Map<string, number>();
  if (sorted.length === 0) return shares;
  const base = Math.floor(partitions / sorted.length);
  const extra = partitions % sorted.length;
  const start = hash(topic) % sorted.length;
  sorted.forEach((member, i) => {
    const rank = (i - start + sorted.length) % sorted.length;
    shares.set(member, base + (rank < extra ? 1 : 0));
  });
  return shares;
}

/** What `me` should release and take, per topic it subscribes to. */
export function planShare(input: ShareInput): SharePlan {
  const release: Array<{ topic: string; partition: number }> = [];
  const take: Array<{ topic: string; partition: number }> = [];
  for (const [topic, count] of input.partitions) {
    const subscribers = [...input.members].filter(([, topics]) => topics.includes(topic)).map(([member]) => member);
    const share = fairShares(topic, count, subscribers).get(input.me) ?? 0;
    const owners = new Map<number, string | null>();
    for (const lease of input.leases) if (lease.topic === topic && lease.partition < count) owners.set(lease.partition, lease.owner);
    const mine = [...owners].filter(([, owner]) => owner === input.me).map(([p]) => p).sort((a, b) => a - b);
    if (mine.length > share) {
      // Give up the highest-numbered ones: a stable choice every member can predict.
      for (const partition of mine.slice(share)) release.push({ topic, partition });
    } else if (mine.length < share) {
      const free = Array.from({ length: count }, (_, p) => p).filter((p) => !owners.get(p));
      // Start at a place that depends on the member, so members taking at once collide less.
      const from = hash(input.me) % Math.max(1, free.length);
      const rotated = [...free.slice(from), ...free.slice(0, from)];
      for (const partition of rotated.slice(0, share - mine.length)) take.push({ topic, partition });
    }
  }
  return { release, take };
}

/** FNV-1a: a small, stable string hash. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
