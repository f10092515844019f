/**
 * The edge's cron reader (parseCronSchedule, injected into the core's due rule): the same expressions node-cron 4
 * accepts, and the same next times node-cron's own scheduler computes (asked under a fixed clock, in UTC).
 */
import { createTask } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCronSchedule } from '../../src/render/cron.js';

afterEach(() => {
  vi.useRealTimers();
});

/** What node-cron's scheduler says the next `count` runs after `at` are. */
function nodeCronRuns(expression: string, at: number, count: number): string[] {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
  const task = createTask(expression, () => undefined, { timezone: 'UTC' });
  try {
    return task.getNextRuns(count).map((d) => d.toISOString());
  } finally {
    void task.destroy();
    vi.useRealTimers();
  }
}

function ourRuns(expression: string, at: number, count: number): string[] {
  const parsed = parseCronSchedule(expression);
  if (!parsed.ok) throw new Error(parsed.error);
  const out: string[] = [];
  let t = at;
  for (let i = 0; i < count; i += 1) {
    const next = parsed.schedule.next(t);
    if (next === undefined) break;
    out.push(new Date(next).toISOString());
    t = next;
  }
  return out;
}

const expressions = [
  '*/5 * * * *',
  '0 6 * * 1-5',
  '0 0 L * *',
  '0 0 15W * *',
  '0 0 1W * *',
  '0 0 LW * *',
  '0 0 L-3 * *',
  '0 12 * * 5L',
  '0 12 * * 0L',
  '30 9 * * 1#2',
  '0 0 13 * 5',
  '0 0 29 2 *',
  '0 0 31 * *',
  '0 */2 * jan,feb sun',
  '5-10/2 3 * * *',
  '0 0 ? * MON',
  '0 0 1 * 7',
  '10 0 0 * * *',
  '@hourly',
  '@daily',
  '@weekly',
  '@monthly',
  '@yearly',
];

/** A seeded sequence of start times between 2023 and 2031 (plus some exact ticks and a leap day). */
function starts(): number[] {
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const from = Date.UTC(2023, 0, 1);
  const span = Date.UTC(2031, 0, 1) - from;
  return [
    Date.UTC(2024, 1, 29, 23, 59, 59, 500),
    Date.UTC(2024, 4, 1, 12, 0, 0),
    Date.UTC(2025, 11, 31, 23, 55, 0),
    ...Array.from({ length: 6 }, () => from + Math.floor(random() * span)),
  ];
}

describe('parseCronSchedule', () => {
  for (const expression of expressions) {
    it(`${expression}: the next times node-cron computes`, () => {
      for (const at of starts()) {
        const ours = ourRuns(expression, at, 4);
        expect(ours).toHaveLength(4);
        expect(ours, `${expression} after ${new Date(at).toISOString()}`).toEqual(nodeCronRuns(expression, at, 4));
      }
    });
  }

  it('a time on the tick itself is not "after" it', () => {
    const parsed = parseCronSchedule('*/5 * * * *');
    expect(parsed.ok && new Date(parsed.schedule.next(Date.UTC(2024, 4, 1, 12, 5)) ?? 0).toISOString()).toBe('2024-05-01T12:10:00.000Z');
  });

  it('refuses what node-cron refuses, with its words, and schedules under a minute', () => {
    const refused = (e: string): string => {
      const r = parseCronSchedule(e);
      return r.ok ? 'accepted' : r.error;
    };
    expect(refused('every five minutes')).toMatch(/expected 5 or 6 fields but got 3/);
    expect(refused('61 * * * *')).toBe('61 is a invalid expression for minute');
    expect(refused('0 0 31 2 *')).toBe('31 2 is an impossible day of month for the given month');
    expect(refused('')).not.toBe('accepted');
    expect(refused('*/10 * * * * *')).toMatch(/more than once a minute/);
    expect(refused('0 0 * * 8')).toMatch(/invalid expression for week day/);
  });
});
