/**
 * A fixed few seeded fault schedules against `imagestreams run` (test/fault/harness.ts): registry faults through
 * the fault proxy, the Git server refusing, answering 503, resetting and declining the daemon's pushes, people
 * committing with the git CLI, registry pushes with notifications, SIGKILLs and restarts on the same --workdir;
 * then the invariants (test/fault/invariants.ts). More seeds: `npx tsx scripts/fault-suite.ts --seeds 50`; a
 * failing seed replays with `npx tsx scripts/fault-suite.ts --seed S` (its directory and logs are kept).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { addFigures, emptyFigures, formatFigures, replayCommand, runSchedule } from './harness.js';
import { describeSchedule } from './schedule.js';

/**
 * Seed 1 is a broad schedule that held when this was written. 34 and 40 each reproduce a daemon bug found by the
 * suite, and stay as regression seeds (a fix should turn them green):
 *  34: two 100% registry fault windows; notification passes land partially (the importer's circuit opens: "paused
 *      after repeated failures"), the accepted work stays in the journal, and nothing schedules a pass to retry it
 *      (reproduced 3 times out of 4);
 *  40: a SIGKILL the moment the daemon writes .git/index leaves it empty (isomorphic-git writes it in place); every
 *      pass after the restart fails with "Index file is empty" and the daemon never recovers (2 out of 4: the kill
 *      has to land inside the write).
 * A schedule is a pure function of its seed; its interleaving with the daemon is not, hence "out of 4".
 */
const seeds = [1, 34, 40];
/**
 * Faults go on for 14 s. The settle wait is 45 s here (75 s from the script): a daemon that is idle with accepted
 * work and nothing scheduled is reported as stuck after 5 s anyway, so the long wait only runs while the daemon is
 * still retrying; this keeps the directory within about 3 minutes even when every seed fails.
 */
const shape = { durationMs: 14_000, settleTimeoutMs: 45_000 };

const total = emptyFigures();
const failures: string[] = [];
afterAll(() => {
  console.log(`fault suite figures:\n${formatFigures(total)}${failures.length ? `\nfailed:\n${failures.join('\n')}` : ''}`);
});

describe('the daemon under seeded fault schedules', () => {
  it.each(seeds)(
    'seed %i: every invariant holds',
    async (seed) => {
      const result = await runSchedule({ seed, ...shape, log: (l) => console.log(l) });
      addFigures(total, result.figures);
      if (result.violations.length > 0) {
        const lines = result.violations.map((v) => `[${v.invariant}] ${v.detail}`);
        failures.push(
          `seed ${seed}: ${[...new Set(result.violations.map((v) => v.invariant))].join(', ')} — replay: ${replayCommand(seed, shape)}`,
        );
        console.log(
          `seed ${seed} failed; replay: ${replayCommand(seed, shape)}\nkept: ${result.dir}\n${describeSchedule(result.schedule)}\n${lines.join('\n')}`,
        );
      }
      expect(
        result.violations.map((v) => `[${v.invariant}] ${v.detail}`),
        `seed ${seed} — replay: ${replayCommand(seed, shape)} (kept ${result.dir})`,
      ).toEqual([]);
    },
    100_000,
  );
});
