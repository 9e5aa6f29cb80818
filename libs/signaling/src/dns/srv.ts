/**
 * SRV record ordering (RFC 2782, "Usage rules"): by priority, then weighted random order within
 * a priority.
 */

/** One SRV record as the resolver reads it. */
export interface SrvRecord {
  /** Lower is tried first. */
  readonly priority: number;
  /** Relative share of the load within a priority; 0 means "very small chance". */
  readonly weight: number;
  readonly port: number;
  /** The target host name. */
  readonly name: string;
}

/** A source of uniform random numbers in `[0, 1)` (`Math.random` by default). */
export type RandomSource = () => number;

/**
 * Orders SRV records as RFC 2782 prescribes. Records whose target is `.` (the service is
 * decidedly not available, RFC 2782) are dropped. `random` is injectable so tests can be exact.
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: RandomSource = Math.random): SrvRecord[] {
  // RFC 2782: A Target of "." means that the service is decidedly not available at this domain.
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  // RFC 2782: A client MUST attempt to contact the target host with the lowest-numbered
  // priority it can reach; target hosts with the same priority SHOULD be tried in an order
  // defined by the weight field.
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of usable) {
    const group = byPriority.get(r.priority);
    if (group) group.push(r);
    else byPriority.set(r.priority, [r]);
  }
  const out: SrvRecord[] = [];
  for (const [, group] of [...byPriority].sort(([a], [b]) => a - b)) {
    out.push(...weightedOrder(group, random));
  }
  return out;
}

function weightedOrder(group: readonly SrvRecord[], random: RandomSource): SrvRecord[] {
  // RFC 2782: arrange all SRV RRs (that have not been ordered yet) in any order, except that
  // all those with weight 0 are placed at the beginning of the list. We shuffle first, so that
  // records of equal weight (weight-0 ones included) do not always come out in DNS order.
  const unordered = shuffle(group, random).sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
  const out: SrvRecord[] = [];
  while (unordered.length > 0) {
    // RFC 2782: Compute the sum of the weights of those RRs, and with each RR associate the
    // running sum in the selected order. Then choose a uniform random number between 0 and the
    // sum computed (inclusive), and select the RR whose running sum value is the first in the
    // selected order which is greater than or equal to the random number selected.
    const sum = unordered.reduce((s, r) => s + Math.max(0, r.weight), 0);
    const pick = Math.min(sum, Math.floor(random() * (sum + 1)));
    let running = 0;
    let index = unordered.length - 1;
    for (const [i, r] of unordered.entries()) {
      running += Math.max(0, r.weight);
      if (running >= pick) {
        index = i;
        break;
      }
    }
    // RFC 2782: Remove this SRV RR from the set of the unordered SRV RRs and apply the
    // described algorithm to the unordered SRV RRs to select the next target host.
    out.push(...unordered.splice(index, 1));
  }
  return out;
}

function shuffle<T>(items: readonly T[], random: RandomSource): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    const tmp = a[i] as T;
    a[i] = a[j] as T;
    a[j] = tmp;
  }
  return a;
}
