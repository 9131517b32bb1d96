import { describe, expect, it } from 'vitest';
import { type Pending, PendingHeap } from './pending-heap.js';

function pending(deadlineMs: number, tapKey: string): Pending {
  return { kind: 'in', account: 'a', tapKey, operatorId: 'o', stationId: 's', stationIndex: 0, eventTimeMs: 0, utcOffsetMin: 0, deadlineMs, heapIndex: -1 };
}

describe('PendingHeap', () => {
  it('pops by deadline, then tapKey, against a sorted list, through random pushes and removals', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const heap = new PendingHeap();
    const reference: Pending[] = [];
    const order = (a: Pending, b: Pending): number => a.deadlineMs - b.deadlineMs || (a.tapKey < b.tapKey ? -1 : 1);
    for (let step = 0; step < 20_000; step += 1) {
      const roll = random();
      if (roll < 0.5 || reference.length === 0) {
        const item = pending(Math.floor(random() * 50), `k${step}`);
        heap.push(item);
        reference.push(item);
      } else if (roll < 0.8) {
        const item = reference.splice(Math.floor(random() * reference.length), 1)[0] as Pending;
        heap.remove(item);
        expect(item.heapIndex).toBe(-1);
      } else {
        reference.sort(order);
        expect(heap.pop()).toBe(reference.shift());
      }
      expect(heap.size).toBe(reference.length);
    }
    reference.sort(order);
    const drained: Pending[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) drained.push(item);
    expect(drained).toEqual(reference);
  });
});
