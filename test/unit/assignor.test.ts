import { describe, expect, it } from 'vitest';
import { fairShares, planShare, type LeaseView } from '../../lib/core/assignor.ts';

/** Runs members' plans in turn, as heartbeats would, until nobody changes anything. */
function settle(members: Map<string, string[]>, partitions: Map<string, number>, leases: LeaseView[], rounds = 10): LeaseView[] {
  let current = [...leases];
  for (let round = 0; round < rounds; round++) {
    let changed = false;
    for (const me of [...members.keys()]) {
      const plan = planShare({ me, members, partitions, leases: current });
      for (const r of plan.release) {
        current = current.map((l) => (l.topic === r.topic && l.partition === r.partition ? { ...l, owner: null } : l));
        changed = true;
      }
      for (const t of plan.take) {
        current = [...current.filter((l) => !(l.topic === t.topic && l.partition === t.partition)), { ...t, owner: me }];
        changed = true;
      }
    }
    if (!changed) return current;
  }
  throw new Error('did not settle');
}

const count = (leases: LeaseView[], owner: string) => leases.filter((l) => l.owner === owner).length;

describe('fair shares', () => {
  it('splits evenly and spreads the remainder', () => {
    expect([...fairShares('t', 12, ['a', 'b', 'c']).values()]).toEqual([4, 4, 4]);
    const uneven = fairShares('t', 13, ['a', 'b', 'c']);
    expect([...uneven.values()].sort()).toEqual([4, 4, 5]);
    expect(fairShares('t', 2, ['a', 'b', 'c']).size).toBe(3);
  });

  it('rotates which member gets the extra partition from topic to topic', () => {
    const winners = new Set<string>();
    for (let t = 0; t < 20; t++) {
      const shares = fairShares(`topic-${t}`, 4, ['a', 'b', 'c']);
      for (const [member, share] of shares) if (share === 2) winners.add(member);
    }
    expect(winners.size).toBe(3);
  });
});

describe('share plans', () => {
  const partitions = new Map([['orders', 12]]);

  it('a lone member takes everything; three settle at four each, disjoint and complete', () => {
    let leases = settle(new Map([['a', ['orders']]]), partitions, []);
    expect(count(leases, 'a')).toBe(12);
    leases = settle(new Map([['a', ['orders']], ['b', ['orders']], ['c', ['orders']]]), partitions, leases);
    expect(['a', 'b', 'c'].map((m) => count(leases, m))).toEqual([4, 4, 4]);
    expect(new Set(leases.filter((l) => l.owner).map((l) => l.partition)).size).toBe(12);
  });

  it('a member over its share releases only the surplus and keeps the rest', () => {
    const leases: LeaseView[] = Array.from({ length: 12 }, (_, p) => ({ topic: 'orders', partition: p, owner: 'a' }));
    const plan = planShare({ me: 'a', members: new Map([['a', ['orders']], ['b', ['orders']]]), partitions, leases });
    expect(plan.release.map((r) => r.partition)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(plan.take).toEqual([]);
  });

  it('a member under its share takes only free partitions, never held ones', () => {
    const leases: LeaseView[] = Array.from({ length: 12 }, (_, p) => ({ topic: 'orders', partition: p, owner: p < 10 ? 'a' : null }));
    const plan = planShare({ me: 'b', members: new Map([['a', ['orders']], ['b', ['orders']]]), partitions, leases });
    expect(plan.take.map((t) => t.partition).sort((x, y) => x - y)).toEqual([10, 11]);
  });

  it('only members subscribed to a topic share it', () => {
    const members = new Map([['a', ['orders']], ['b', ['payments']]]);
    const both = new Map([['orders', 4], ['payments', 2]]);
    const leases = settle(members, both, []);
    expect(leases.filter((l) => l.topic === 'orders').every((l) => l.owner === 'a')).toBe(true);
    expect(leases.filter((l) => l.topic === 'payments').every((l) => l.owner === 'b')).toBe(true);
  });
});
