/**
 * The daemon's fault suite from the command line: seeded fault schedules against `imagestreams run` (see
 * test/fault/harness.ts), one after another, then the figures and every invariant that failed, with its seed and
 * the command that replays it.
 *
 *   npx tsx scripts/fault-suite.ts --seeds 20            seeds 1..20 (or --from 100 --seeds 20: 100..119)
 *   npx tsx scripts/fault-suite.ts --seed 7              replay one seed (its directory is kept)
 *   npx tsx scripts/fault-suite.ts --seed 7 --schedule   print the schedule of a seed and exit
 *   options: --duration 14s (how long faults go on), --settle 150s (longest wait for the daemon to settle),
 *            --keep (keep every schedule's directory), --quiet,
 *            --snapshot (run against the committed HEAD, exported to a temporary directory, instead of the working
 *            tree: the daemon runs from sources, and a working tree someone is editing may not even load)
 *
 * Exit status: 0 when every invariant held in every schedule, 1 otherwise, 2 for a usage error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addFigures, emptyFigures, formatFigures, replayCommand, runSchedule } from '../test/fault/harness.js';
import type { ScheduleResult } from '../test/fault/harness.js';
import { describeSchedule, generateSchedule } from '../test/fault/schedule.js';

function usage(message: string): never {
  process.stderr.write(
    `fault-suite: ${message}\nusage: fault-suite.ts [--seeds N [--from S] | --seed S [--schedule]] [--duration 14s] [--settle 150s] [--keep] [--quiet] [--snapshot]\n`,
  );
  process.exit(2);
}

function duration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) usage(`${flag}: "${text}" is not a duration (e.g. 14s, 500ms)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

const argv = process.argv.slice(2);
if (argv.includes('--snapshot')) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const snap = mkdtempSync(path.join(tmpdir(), 'imagestreams-fault-snapshot-'));
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', `git archive HEAD | tar -x -C "${snap}"`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    symlinkSync(path.join(root, 'node_modules'), path.join(snap, 'node_modules'));
    process.stderr.write(`fault-suite: running against HEAD ${head} (exported to ${snap})\n`);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(snap, 'scripts/fault-suite.ts'), ...argv.filter((a) => a !== '--snapshot')],
      { cwd: snap, stdio: 'inherit' },
    );
    process.exitCode = child.status ?? 1;
  } finally {
    rmSync(snap, { recursive: true, force: true });
  }
  process.exit();
}
let seeds: number[] = [];
let from = 1;
let count: number | undefined;
let durationMs: number | undefined;
let settleTimeoutMs: number | undefined;
let keep = false;
let quiet = false;
let printSchedule = false;
for (let i = 0; i < argv.length; i += 1) {
  const a = argv[i] as string;
  const value = (): string => {
    const v = argv[(i += 1)];
    if (v === undefined) usage(`${a} needs a value`);
    return v;
  };
  const int = (v: string): number => {
    if (!/^\d+$/.test(v)) usage(`${a}: "${v}" is not a whole number`);
    return Number(v);
  };
  if (a === '--seed') seeds.push(int(value()));
  else if (a === '--seeds') count = int(value());
  else if (a === '--from') from = int(value());
  else if (a === '--duration') durationMs = duration(value(), a);
  else if (a === '--settle') settleTimeoutMs = duration(value(), a);
  else if (a === '--keep') keep = true;
  else if (a === '--quiet') quiet = true;
  else if (a === '--schedule') printSchedule = true;
  else if (a === '--snapshot') continue;
  else if (a === '--help' || a === '-h') usage('help');
  else usage(`unknown argument ${a}`);
}
if (count !== undefined) seeds.push(...Array.from({ length: count }, (_, i) => from + i));
if (seeds.length === 0) seeds = [1, 2, 3];
const shape = { ...(durationMs !== undefined ? { durationMs } : {}), ...(settleTimeoutMs !== undefined ? { settleTimeoutMs } : {}) };

if (printSchedule) {
  for (const s of seeds) process.stdout.write(`${describeSchedule(generateSchedule(s, shape))}\n\n`);
  process.exit(0);
}

const total = emptyFigures();
const results: ScheduleResult[] = [];
const started = Date.now();
for (const seed of seeds) {
  const result = await runSchedule({
    seed,
    ...shape,
    keep: keep || seeds.length === 1,
    log: quiet ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  results.push(result);
  addFigures(total, result.figures);
  const verdict = result.violations.length === 0 ? 'ok' : `${result.violations.length} invariant failure(s)`;
  process.stdout.write(`seed ${seed}: ${verdict} (${Math.round(result.ms / 1000)} s)${result.kept ? ` — kept ${result.dir}` : ''}\n`);
  for (const v of result.violations) process.stdout.write(`  [${v.invariant}] ${v.detail.split('\n').join('\n    ')}\n`);
  for (const o of result.observations) process.stdout.write(`  (observed) ${o}\n`);
  if (result.violations.length > 0) process.stdout.write(`  replay: ${replayCommand(seed, shape)}\n`);
}

const failed = results.filter((r) => r.violations.length > 0);
process.stdout.write(`\n${formatFigures(total)}\n`);
process.stdout.write(`time:                   ${Math.round((Date.now() - started) / 1000)} s\n`);
if (failed.length > 0) {
  const byInvariant = new Map<string, number[]>();
  for (const r of failed)
    for (const v of r.violations) byInvariant.set(v.invariant, [...new Set([...(byInvariant.get(v.invariant) ?? []), r.seed])]);
  process.stdout.write(`\n${failed.length} of ${results.length} schedules failed:\n`);
  for (const [inv, s] of byInvariant) process.stdout.write(`  ${inv}: seeds ${s.join(', ')}\n`);
  process.stdout.write(`replay one with: ${replayCommand(failed[0]?.seed ?? 0, shape)}\n`);
}
process.exit(failed.length > 0 ? 1 : 0);
