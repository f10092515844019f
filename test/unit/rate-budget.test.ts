import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/import/limits.js';
import { DeferredError, parseRateLimitHeader, RateBudgets, RegistryBudget } from '../../src/import/rate-budget.js';

/** A clock whose sleeps move time forward at once (and are recorded). */
class StepClock implements Clock {
  readonly slept: number[] = [];
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.t += ms;
  }
}

const manifestGet = ['GET', '/v2/app/manifests/v1'] as const;
const deferredBy = async (p: Promise<unknown>): Promise<DeferredError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeferredError);
  return err as DeferredError;
};

describe('the request budget of a registry', () => {
  it("reads Docker Hub's header form and the plain one", () => {
    expect(parseRateLimitHeader('76;w=21600')).toEqual({ value: 76, windowMs: 21_600_000 });
    expect(parseRateLimitHeader('100')).toEqual({ value: 100 });
    expect(parseRateLimitHeader('soon')).toBeUndefined();
    expect(parseRateLimitHeader(undefined)).toBeUndefined();
  });

  it('a configured limit: that many counted requests per window, then deferred until the oldest leaves the window', async () => {
    const clock = new StepClock();
    const b = new RegistryBudget('r.example', { limit: 2, windowMs: 60_000 }, 'requests', clock);
    for (let i = 0; i < 2; i += 1) b.release(await b.acquire(...manifestGet, 0), {});
    const err = await deferredBy(b.acquire(...manifestGet, 0));
    expect(err.code).toBe('registry-budget-spent');
    expect(err.retryAtMs).toBe(1_000_000 + 60_000);
    expect(b.snapshot()).toEqual({ registry: 'r.example', remaining: 0, limit: 2 });
    // Within the wait a pass allows, it paces instead: sleeps until the window lets one through.
    b.release(await b.acquire(...manifestGet, 60_000), {});
    expect(clock.slept).toEqual([60_000]);
  });

  it('pulls: only manifest GETs take a unit; HEADs, blobs and the ping are free', async () => {
    const b = new RegistryBudget('docker.io', { limit: 1, windowMs: 60_000 }, 'pulls', new StepClock());
    b.release(await b.acquire(...manifestGet, 0), {});
    for (const [m, p] of [
      ['HEAD', '/v2/app/manifests/v1'],
      ['GET', '/v2/app/blobs/sha256:abc'],
      ['GET', '/v2/'],
    ] as const)
      b.release(await b.acquire(m, p, 0), {});
    await deferredBy(b.acquire(...manifestGet, 0));
  });

  it('a unit counted twice by its own reckoning does not defer: with nothing in flight, one request asks the registry', async () => {
    // Found under load in import-rate-limit.test.ts: answers to requests in flight when the state was taken lower it
    // once more each (on the safe side), so the count can reach 0 while the registry itself still reports room.
    const b = new RegistryBudget('docker.io', {}, 'pulls', new StepClock());
    b.release(await b.acquire('HEAD', '/v2/app/manifests/v1', 0), { 'ratelimit-remaining': '7;w=3600' });
    const inFlight = [];
    for (let i = 0; i < 5; i += 1) inFlight.push(await b.acquire(...manifestGet, 0));
    // The registry counted all five before answering the first: 2 left. The other four answers, to requests sent
    // before that state was taken, each lower our count once more: it ends below 0 with nothing in flight.
    for (const t of inFlight) b.release(t, { 'ratelimit-remaining': '2;w=3600' });
    // The registry's own answers said 2: the next pull goes (it is not deferred for the window), and its answer rules.
    const next = await b.acquire(...manifestGet, 0);
    b.release(next, { 'ratelimit-remaining': '1;w=3600' });
    expect(b.snapshot()?.remaining).toBe(1);
  });

  it('a count the registry itself reported as spent still defers', async () => {
    const b = new RegistryBudget('docker.io', {}, 'pulls', new StepClock());
    b.release(await b.acquire('HEAD', '/v2/app/manifests/v1', 0), { 'ratelimit-remaining': '0;w=3600' });
    await deferredBy(b.acquire(...manifestGet, 0));
  });

  it('stays inside what the headers say is left, counting the requests still in flight', async () => {
    const clock = new StepClock();
    const b = new RegistryBudget('docker.io', {}, 'pulls', clock);
    expect(b.snapshot()).toBeUndefined(); // nothing limits it yet
    const head = await b.acquire('HEAD', '/v2/app/manifests/v1', 0);
    b.release(head, { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '2;w=21600' });
    expect(b.snapshot()).toEqual({ registry: 'docker.io', remaining: 2, limit: 100 });
    const a = await b.acquire(...manifestGet, 0);
    const c = await b.acquire(...manifestGet, 0);
    expect(b.snapshot()?.remaining).toBe(0);
    // A third waits for the answers in flight; they say nothing is left: deferred until the header's window ends.
    const third = b.acquire(...manifestGet, 0);
    b.release(c, { 'ratelimit-remaining': '0;w=21600' });
    b.release(a, { 'ratelimit-remaining': '1;w=21600' }); // sent earlier, answered later: older news, ignored
    const err = await deferredBy(third);
    expect(err.retryAtMs).toBe(clock.now() + 21_600_000);
    expect(b.snapshot()?.remaining).toBe(0);
  });

  it('a 429 holds every request to the registry: waited for within the cap, else deferred as rate-limited', async () => {
    const clock = new StepClock();
    const b = new RegistryBudget('r.example', {}, 'requests', clock);
    b.block(clock.now() + 5_000);
    b.release(await b.acquire('HEAD', '/v2/app/manifests/v1', 10_000), {});
    expect(clock.slept).toEqual([5_000]);
    b.block(clock.now() + 3_600_000);
    const err = await deferredBy(b.acquire('HEAD', '/v2/app/manifests/v1', 10_000));
    expect(err.code).toBe('registry-rate-limited');
    expect(err.retryAtMs).toBe(clock.now() + 3_600_000);
    expect(b.snapshot()?.remaining).toBe(0);
  });

  it("one budget for all of Docker Hub's names; a configured registry's own counting", () => {
    const budgets = new RateBudgets(new Map([['index.docker.io', { limit: 5, windowMs: 1000 }]]), new StepClock());
    const hub = budgets.for('docker.io', 'registry-1.docker.io');
    expect(hub).toBe(budgets.for('index.docker.io', 'registry-1.docker.io'));
    expect(hub.counts).toBe('pulls');
    expect(budgets.for('quay.io', 'quay.io').counts).toBe('requests');
    expect(budgets.snapshots()).toEqual([{ registry: 'docker.io', remaining: 5, limit: 5 }]);
  });
});
