/**
 * Being a good registry citizen: a per-registry concurrency limit, Retry-After, exponential backoff with jitter,
 * and a circuit that pauses a failing registry instead of hammering it. Time is injected (tests and the daemon
 * pass their own clock and sleep).
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A counting semaphore. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await fn();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** Seconds or an HTTP date; undefined when absent or unreadable. Returns milliseconds to wait. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Full-jitter exponential backoff: random in [0, min(cap, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit stays open before one trial request. */
  readonly openMs: number;
}

/** Per-host circuit breaker: closed → open after N consecutive transient failures → half-open after a pause. */
export class Circuit {
  private failures = 0;
  private openedAt: number | undefined;
  constructor(
    private readonly options: CircuitOptions,
    private readonly clock: Clock,
  ) {}

  /** Undefined when a request may go; otherwise the milliseconds until the circuit lets one through. */
  blockedFor(): number | undefined {
    if (this.openedAt === undefined) return undefined;
    const left = this.openedAt + this.options.openMs - this.clock.now();
    return left > 0 ? left : undefined;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
  }

  failure(): void {
    this.failures += 1;
    if (this.failures >= this.options.failureThreshold) this.openedAt = this.clock.now();
  }
}
