import { describe, expect, it } from 'vitest';
import type { HeapState } from '../../src/cli/daemon/heap.js';
import { shouldCollect } from '../../src/cli/daemon/heap.js';

const MiB = 1 << 20;
const rule = { factor: 1.5, floorBytes: 48 * MiB, settleMs: 10_000, quietBytes: MiB };
const state = (s: Partial<HeapState> = {}): HeapState => ({ live: 60 * MiB, at: 0, previous: 70 * MiB, collectedWhileQuiet: false, ...s });

describe('the daemon heap rule (src/cli/daemon/heap.ts)', () => {
  it('never collects a small heap', () => {
    expect(shouldCollect(rule, state({ live: 1 }), { used: 40 * MiB, total: 47 * MiB }, 60_000)).toBe(false);
  });

  it('collects when the heap grew well past what the last collection left, even while busy', () => {
    expect(shouldCollect(rule, state({ collectedWhileQuiet: true }), { used: 95 * MiB, total: 140 * MiB }, 1_000)).toBe(true);
  });

  it('collects a tenth of growth once the last collection is old enough, not before', () => {
    const s = state({ previous: 60 * MiB, collectedWhileQuiet: true });
    expect(shouldCollect(rule, s, { used: 67 * MiB, total: 100 * MiB }, 5_000)).toBe(false);
    expect(shouldCollect(rule, s, { used: 67 * MiB, total: 100 * MiB }, 10_000)).toBe(true);
  });

  it('collects once when a busy process goes quiet, even with no growth past the last collection (a pass ended)', () => {
    // The last collection ran mid-pass and saw the pass's data as live: 65 MiB. The pass ended; nothing grows.
    const ended = state({ live: 65 * MiB, previous: 65.2 * MiB, at: 0, collectedWhileQuiet: false });
    expect(shouldCollect(rule, ended, { used: 65 * MiB, total: 132 * MiB }, 3_000)).toBe(true);
    // Collected since it went quiet: not again while it stays quiet.
    expect(shouldCollect(rule, { ...ended, collectedWhileQuiet: true }, { used: 65 * MiB, total: 132 * MiB }, 3_000)).toBe(false);
    // Still busy (the heap moved a lot since the previous sample): wait for quiet.
    expect(shouldCollect(rule, { ...ended, previous: 80 * MiB }, { used: 65 * MiB, total: 132 * MiB }, 3_000)).toBe(false);
  });

  it('collects once after each finished pass, as soon as the daemon says one finished', () => {
    // Busy (no quiet), no growth past the last collection: only the finished pass asks for it.
    const s = state({ live: 65 * MiB, previous: 90 * MiB, at: 0, collectedWhileQuiet: true, passesDone: 3 });
    expect(shouldCollect(rule, s, { used: 70 * MiB, total: 132 * MiB, passesDone: 3 }, 1_000)).toBe(false);
    expect(shouldCollect(rule, s, { used: 70 * MiB, total: 132 * MiB, passesDone: 4 }, 1_000)).toBe(true);
    // Never for a small heap.
    expect(shouldCollect(rule, s, { used: 30 * MiB, total: 40 * MiB, passesDone: 4 }, 1_000)).toBe(false);
  });
});
