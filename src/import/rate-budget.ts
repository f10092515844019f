/**
 * A request budget per registry: what the configuration allows (`registries.rateLimits`: so many requests per
 * window) and what the registry's own rate-limit headers say is left (Docker Hub's `ratelimit-limit: 100;w=21600`,
 * `ratelimit-remaining: 76;w=21600`; `ratelimit-reset: <seconds>` where sent), whichever is smaller. A request that
 * the budget counts takes one unit before it is sent; when none is left the client waits if room comes back within
 * `maxWaitMs` (pacing), else the request is deferred (`DeferredError`) and so is every later one to that registry
 * until then. A 429 blocks every request to the registry until its Retry-After. Time is the injected Clock's.
 */
import type { DeferralCode } from '../reconcile/plan.js';
import type { Clock } from './limits.js';

/** What a budget counts: `pulls` are manifest GETs (Docker Hub's rule: HEADs and blobs are free), `requests` all. */
export type BudgetCounts = 'pulls' | 'requests';

/** One registry's configured budget. */
export interface RateLimitSetting {
  /** At most this many counted requests per window; undefined: only what the headers say. */
  readonly limit?: number | undefined;
  readonly windowMs?: number | undefined;
  /** Default: `pulls` for Docker Hub, `requests` elsewhere. */
  readonly counts?: BudgetCounts | undefined;
}

/** A request not sent: the registry's budget is spent (or it asked us to wait) until `retryAtMs`. */
export class DeferredError extends Error {
  override readonly name = 'DeferredError';
  constructor(
    readonly code: DeferralCode,
    readonly registry: string,
    readonly retryAtMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** One registry's budget as the metrics show it. */
export interface BudgetSnapshot {
  readonly registry: string;
  /** Counted requests that may still be sent now (configured and header limits, less those in flight). */
  readonly remaining: number;
  /** The smaller of the configured limit and the header's limit, when either is known. */
  readonly limit: number | undefined;
}

/** `76;w=21600` (Docker Hub), `76`: the number and the window in ms, if any. */
export function parseRateLimitHeader(value: string | undefined): { value: number; windowMs?: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/i.exec(value);
  if (!m) return undefined;
  return { value: Number(m[1]), ...(m[2] !== undefined ? { windowMs: Number(m[2]) * 1000 } : {}) };
}

/** How long header-derived state is trusted when the registry states no window and no reset. */
const headerFreshMs = 60_000;
/** How long a registry that answered 429 without a Retry-After is left alone. */
export const defaultRateLimitedMs = 60_000;

interface HeaderState {
  remaining: number;
  readonly limit: number | undefined;
  readonly at: number;
  readonly untilMs: number;
  /**
   * The last request sent when this state was taken: a request sent later was answered by a registry that had
   * already counted what this state holds, so its answer replaces it; an answer to an earlier one may be older news
   * or newer (requests overtake each other), so it can only lower the count.
   */
  readonly epoch: number;
  /**
   * The lowest count the registry itself reported since this state was taken. `remaining` can fall below it by our
   * own reckoning only (an answer to a request in flight when the state was taken is counted once more, on the safe
   * side); when that is all that says "spent" and nothing is in flight, one request is sent to ask the registry.
   */
  reported: number;
}

/** A counted request's hold on its unit, given back (with the answer's headers) when it is answered. */
export interface BudgetTicket {
  readonly seq: number;
  readonly counted: boolean;
}

export class RegistryBudget {
  /** Send times of the counted requests inside the configured window (a sliding log). */
  private readonly sent: number[] = [];
  private header: HeaderState | undefined;
  private inFlight = 0;
  private seq = 0;
  private blockedUntil = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly registry: string,
    private readonly setting: RateLimitSetting,
    readonly counts: BudgetCounts,
    private readonly clock: Clock,
  ) {}

  /** Does this request take a unit? */
  counted(method: string, path: string): boolean {
    return this.counts === 'requests' || (method === 'GET' && /\/manifests\/[^/]+$/.test(path));
  }

  private trim(now: number): void {
    const windowMs = this.setting.windowMs;
    if (windowMs === undefined) return;
    while (this.sent.length > 0 && (this.sent[0] as number) <= now - windowMs) this.sent.shift();
  }

  private headerNow(now: number): HeaderState | undefined {
    return this.header && now < this.header.untilMs ? this.header : undefined;
  }

  /** Units available now, and when the next one is expected when there is none (Infinity when nothing limits). */
  private available(now: number): { units: number; nextAt: number; waitForAnswers: boolean } {
    this.trim(now);
    let units = Number.POSITIVE_INFINITY;
    let nextAt = now;
    const { limit, windowMs } = this.setting;
    if (limit !== undefined && windowMs !== undefined) {
      units = limit - this.sent.length;
      if (units < 1) nextAt = Math.max(nextAt, (this.sent[0] ?? now) + windowMs);
    }
    const h = this.headerNow(now);
    let waitForAnswers = false;
    if (h) {
      let left = h.remaining - this.inFlight;
      // Spent by our own reckoning only, with nothing in flight: one request asks the registry (see `reported`).
      if (left < 1 && this.inFlight === 0 && h.reported >= 1) left = 1;
      if (left < units) units = left;
      // Requests in flight will bring fresher headers; with none in flight, room comes back when the state expires.
      if (left < 1) {
        if (h.remaining >= 1 && this.inFlight > 0) waitForAnswers = true;
        else nextAt = Math.max(nextAt, h.untilMs);
      }
    }
    return { units, nextAt, waitForAnswers };
  }

  /**
   * Take a unit for a request (none for one the budget does not count). Waits while room comes back within
   * `maxWaitMs`; otherwise throws DeferredError. A 429's block applies to every request.
   */
  async acquire(method: string, path: string, maxWaitMs: number): Promise<BudgetTicket> {
    const counted = this.counted(method, path);
    for (;;) {
      const now = this.clock.now();
      if (this.blockedUntil > now) {
        const wait = this.blockedUntil - now;
        if (wait > maxWaitMs)
          throw new DeferredError(
            'registry-rate-limited',
            this.registry,
            this.blockedUntil,
            `registry ${this.registry} asked to wait ${Math.ceil(wait / 1000)} s (429 Too Many Requests); deferred to a later pass`,
          );
        await this.clock.sleep(wait);
        continue;
      }
      if (!counted) return { seq: ++this.seq, counted };
      const { units, nextAt, waitForAnswers } = this.available(now);
      if (units >= 1) {
        if (this.setting.limit !== undefined && this.setting.windowMs !== undefined) this.sent.push(now);
        this.inFlight += 1;
        return { seq: ++this.seq, counted };
      }
      if (waitForAnswers) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      const wait = nextAt - now;
      if (wait > 0 && wait <= maxWaitMs) {
        await this.clock.sleep(wait);
        continue;
      }
      throw new DeferredError(
        'registry-budget-spent',
        this.registry,
        Math.max(nextAt, now + 1000),
        `the request budget of registry ${this.registry} is spent until ${new Date(Math.max(nextAt, now + 1000)).toISOString()}; deferred to a later pass`,
      );
    }
  }

  /** The request is answered (headers) or failed without an answer (undefined). */
  release(ticket: BudgetTicket, headers: Readonly<Record<string, string | undefined>> | undefined): void {
    if (ticket.counted) this.inFlight -= 1;
    const remaining = parseRateLimitHeader(headers?.['ratelimit-remaining']);
    const now = this.clock.now();
    if (remaining && (this.headerNow(now) === undefined || ticket.seq > (this.header?.epoch ?? 0))) {
      const limit = parseRateLimitHeader(headers?.['ratelimit-limit']);
      const reset = parseRateLimitHeader(headers?.['ratelimit-reset']);
      const freshMs = reset ? reset.value * 1000 : (remaining.windowMs ?? limit?.windowMs ?? headerFreshMs);
      this.header = {
        remaining: remaining.value,
        limit: limit?.value,
        at: now,
        untilMs: now + freshMs,
        epoch: this.seq,
        reported: remaining.value,
      };
    } else if (remaining && this.header) {
      // Counted after the state was taken, this request's unit is not in it; counted before, this lowers it by one
      // too many (on the safe side) until a later request's answer replaces it.
      this.header.remaining = Math.min(this.header.remaining - (ticket.counted ? 1 : 0), remaining.value);
      this.header.reported = Math.min(this.header.reported, remaining.value);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** A 429: nothing goes to this registry until then. */
  block(untilMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, untilMs);
  }

  /** Units left now, or undefined when neither the configuration nor the headers limit this registry. */
  snapshot(): BudgetSnapshot | undefined {
    const now = this.clock.now();
    const { units } = this.available(now);
    const h = this.headerNow(now);
    const limits = [this.setting.limit, h?.limit].filter((n): n is number => n !== undefined);
    const blocked = this.blockedUntil > now;
    if (!blocked && !Number.isFinite(units) && limits.length === 0) return undefined;
    return {
      registry: this.registry,
      remaining: blocked ? 0 : Number.isFinite(units) ? Math.max(0, units) : Math.min(...limits),
      limit: limits.length > 0 ? Math.min(...limits) : undefined,
    };
  }
}

const dockerHubNames: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The budgets of every registry a client talks to, by registry name (`docker.io` for all of Docker Hub's names). */
export class RateBudgets {
  private readonly budgets = new Map<string, RegistryBudget>();
  private readonly settings: ReadonlyMap<string, RateLimitSetting>;

  constructor(
    settings: ReadonlyMap<string, RateLimitSetting>,
    private readonly clock: Clock,
  ) {
    this.settings = new Map([...settings].map(([name, s]) => [RateBudgets.nameOf(name, name), s]));
  }

  /** The name a budget is kept under: the registry as configured, Docker Hub's hosts as `docker.io`. */
  static nameOf(registry: string, host: string): string {
    return dockerHubNames.has(registry) || dockerHubNames.has(host) ? 'docker.io' : registry;
  }

  for(registry: string, host: string): RegistryBudget {
    const name = RateBudgets.nameOf(registry, host);
    let b = this.budgets.get(name);
    if (!b) {
      const setting = this.settings.get(name) ?? this.settings.get(host) ?? {};
      b = new RegistryBudget(name, setting, setting.counts ?? (name === 'docker.io' ? 'pulls' : 'requests'), this.clock);
      this.budgets.set(name, b);
    }
    return b;
  }

  snapshots(): BudgetSnapshot[] {
    return [...this.budgets.values()].flatMap((b) => b.snapshot() ?? []);
  }
}
