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
 * Seeds 1 and 9 are broad schedules (Git declines, resets and cut answers; kills before and after a push lands
 * and while files are written) that held when this was written. Seed 40 reproduces a daemon bug the suite found
 * and stays as a regression seed (a fix should turn it green): a SIGKILL the moment the daemon writes .git/index
 * leaves it empty (isomorphic-git writes it in place), every pass after the restart fails with "Index file is
 * empty" and the daemon never recovers; it reproduced 3 times in 7 (the kill has to land inside the write). A
 * schedule is a pure function of its seed; its interleaving with the daemon is not.
 * (Seed 34 found the other bug, accepted work left in the journal with no pass scheduled to retry it; fixed in
 * b3d60e3. It is not here because after that fix it settles only once the importer's circuit has closed, 60 s
 * and a retry backoff after its 100% registry outage: `npx tsx scripts/fault-suite.ts --seed 34`.)
 */
const seeds = [1, 9, 40];
/**
 * Faults go on for 14 s; the daemon then gets 100 s to settle (150 s from the script, which allows for the
 * importer's circuit). While seed 40 fails it waits out the whole 100 s: the directory takes about 2.5 minutes,
 * about 1 minute when every seed holds.
 */
const shape = { durationMs: 14_000, settleTimeoutMs: 100_000 };

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
    150_000,
  );
});
