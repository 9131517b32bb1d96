/**
 * A metro tap waiting for its partner: an open tap-in (kind `in`) or a held tap-out (kind
 * `out`). It closes as incomplete once the watermark passes deadlineMs.
 */
export interface Pending {
  readonly kind: 'in' | 'out';
  readonly account: string;
  readonly tapKey: string;
  readonly operatorId: string;
  readonly stationId: string;
  readonly stationIndex: number;
  readonly eventTimeMs: number;
  readonly utcOffsetMin: number;
  /** eventTimeMs + journeyMsMax. */
  readonly deadlineMs: number;
  /** Place in the heap, -1 when not in it. */
  heapIndex: number;
}

/**
 * Binary min-heap of pending taps by (deadlineMs, tapKey), with removal by index: most
 * journeys close by a tap-out long before their deadline, and a lazily deleted entry would
 * linger for journeyMsMax (4 h of taps). tapKey is unique in the ledger, so the order is
 * total and expiries come out in the same order however the heap was built (restore).
 */
export class PendingHeap {
  private readonly items: Pending[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Pending | undefined {
    return this.items[0];
  }

  push(pending: Pending): void {
    pending.heapIndex = this.items.length;
    this.items.push(pending);
    this.up(pending.heapIndex);
  }

  pop(): Pending | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(pending: Pending): void {
    const index = pending.heapIndex;
    const last = this.items.pop() as Pending;
    pending.heapIndex = -1;
    if (last === pending) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.up(index);
    this.down(last.heapIndex);
  }

  private up(start: number): void {
    let index = start;
    const item = this.items[index] as Pending;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.items[parentIndex] as Pending;
      if (!before(item, parent)) break;
      this.items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    this.items[index] = item;
    item.heapIndex = index;
  }

  private down(start: number): void {
    let index = start;
    const size = this.items.length;
    const item = this.items[index] as Pending;
    for (;;) {
      let childIndex = index * 2 + 1;
      if (childIndex >= size) break;
      const right = this.items[childIndex + 1];
      if (right !== undefined && before(right, this.items[childIndex] as Pending)) childIndex += 1;
      const child = this.items[childIndex] as Pending;
      if (!before(child, item)) break;
      this.items[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    this.items[index] = item;
    item.heapIndex = index;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.tapKey < b.tapKey);
}
