/**
 * A clock for daemon tests: short timers (debounce, heartbeats, the first pass) run in real time; long ones (the
 * scheduled-tags alarm, retry backoff) wait until the test moves the clock with `advance`.
 */
import type { Timers } from '../../src/cli/daemon/timers.js';

export class FakeTimers implements Timers {
  private held: Array<{ id: number; due: number; fn: () => void }> = [];
  private real = new Map<number, NodeJS.Timeout>();
  private ids = 0;

  constructor(
    private current: number,
    private readonly realBelowMs = 2_000,
  ) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = (this.ids += 1);
    if (ms <= this.realBelowMs) {
      const t = setTimeout(() => {
        this.real.delete(id);
        fn();
      }, ms);
      t.unref();
      this.real.set(id, t);
    } else {
      this.held.push({ id, due: this.current + ms, fn });
    }
    return id;
  }

  clearTimeout(handle: unknown): void {
    const id = handle as number;
    const t = this.real.get(id);
    if (t) clearTimeout(t);
    this.real.delete(id);
    this.held = this.held.filter((h) => h.id !== id);
  }

  /** The long timers waiting for the clock. */
  get waiting(): number {
    return this.held.length;
  }

  /** Move the clock and fire every long timer that came due, in order. */
  advance(ms: number): void {
    this.current += ms;
    for (;;) {
      const next = this.held.filter((h) => h.due <= this.current).sort((a, b) => a.due - b.due)[0];
      if (!next) return;
      this.held = this.held.filter((h) => h !== next);
      next.fn();
    }
  }
}
