/**
 * A fault schedule: a pure function of its seed. Times are offsets (ms) from the moment the daemon first answered;
 * every fault ends by `faultsEndAt`, after which the harness only waits for the daemon to settle.
 */
import type { FaultChoice, RegistryFaultKind } from '../support/fault-proxy.js';
import type { GitMode } from './git-proxy.js';
import type { Rng } from './prng.js';
import { createRng } from './prng.js';

/** A registry repository and tag the streams follow (pushed to, notified about). */
export interface Target {
  readonly repository: string;
  readonly tag: string;
}

/** The repository:tag pairs the initial streams follow; human-added spec tags follow these too. */
export const targets: readonly Target[] = [
  { repository: 'fault/app', tag: 'live' },
  { repository: 'fault/app', tag: 'canary' },
  { repository: 'fault/worker', tag: 'live' },
  { repository: 'fault/tools', tag: 'stable' },
];

export type HumanEdit =
  | { readonly kind: 'note'; readonly line: string }
  | { readonly kind: 'config-key'; readonly key: string; readonly value: string }
  | { readonly kind: 'annotation'; readonly stream: 'app' | 'tools'; readonly key: string; readonly value: string }
  | { readonly kind: 'spec-tag'; readonly stream: 'app' | 'worker' | 'tools'; readonly name: string; readonly target: number };

/**
 * When an armed kill fires: at once; a moment after a pass starts; when the daemon writes a file in its working
 * tree (after writing, before committing; or while a reset rewrites it); when it writes its Git index (a commit
 * or a checkout in progress); when its push reaches the Git proxy
 * (dropped: never reaches the server); when the server has taken its push (the answer is dropped: the daemon never
 * hears it landed); right after a notification was answered 202.
 */
export type KillTrigger = 'now' | 'pass-started' | 'workdir-changed' | 'index-written' | 'push-sent' | 'push-landed' | 'accepted';

export type ScheduleEvent =
  | {
      readonly at: number;
      readonly kind: 'push';
      readonly target: number;
      readonly image: string;
      readonly duplicates: number;
      readonly notifyDelayMs: number;
    }
  | { readonly at: number; readonly kind: 'human'; readonly who: 'alice' | 'bob'; readonly edit: HumanEdit }
  | {
      readonly at: number;
      readonly kind: 'registry-faults';
      readonly until: number;
      readonly rate: number;
      readonly weights: ReadonlyArray<readonly [RegistryFaultKind, number]>;
    }
  | { readonly at: number; readonly kind: 'git-fault'; readonly until: number; readonly mode: Exclude<GitMode, 'up'> | 'decline' }
  | {
      readonly at: number;
      readonly kind: 'kill';
      readonly signal: 'SIGKILL' | 'SIGTERM';
      readonly trigger: KillTrigger;
      readonly delayMs: number;
      readonly restartAfterMs: number;
    };

export interface Schedule {
  readonly seed: number;
  readonly faultsEndAt: number;
  readonly events: readonly ScheduleEvent[];
}

export interface ScheduleShape {
  /** How long faults go on (default 14 s). */
  readonly durationMs?: number;
}

/** A short, readable account of a schedule (printed with a failure). */
export function describeSchedule(s: Schedule): string {
  const line = (e: ScheduleEvent): string => {
    const t = `${String(e.at).padStart(6)} ms`;
    switch (e.kind) {
      case 'push':
        return `${t} push ${targetName(e.target)} (${e.image})${e.duplicates ? `, notified ${e.duplicates + 1}×` : ''}`;
      case 'human':
        return `${t} ${e.who}: ${JSON.stringify(e.edit)}`;
      case 'registry-faults':
        return `${t} registry faults until ${e.until} ms at ${Math.round(e.rate * 100)}% (${e.weights.map(([k, w]) => `${k}:${w}`).join(' ')})`;
      case 'git-fault':
        return `${t} git ${e.mode} until ${e.until} ms`;
      case 'kill':
        return `${t} ${e.signal} on ${e.trigger}${e.delayMs ? ` +${e.delayMs} ms` : ''}, restart after ${e.restartAfterMs} ms`;
    }
  };
  return [`seed ${s.seed}, faults end at ${s.faultsEndAt} ms`, ...s.events.map(line)].join('\n');
}

export function targetName(i: number): string {
  const t = targets[i];
  return t ? `${t.repository}:${t.tag}` : `target#${i}`;
}

/** The fault a registry-faults window picks for one request: seeded, in the order requests arrive. */
export function pickFault(rng: Rng, weights: ReadonlyArray<readonly [RegistryFaultKind, number]>): FaultChoice {
  const kind = rng.weighted(weights);
  switch (kind) {
    case '5xx':
      return { kind, status: rng.pick([500, 502, 503, 504]) };
    case '429':
      return { kind, retryAfterSeconds: rng.pick([0, 1, 1, 2]) };
    case 'stall':
      return { kind, stallMs: rng.int(200, 2500) };
    case 'wrong-digest':
      return { kind, alteration: rng.pick(['reencode', 'tamper'] as const) };
    default:
      return { kind };
  }
}

export function generateSchedule(seed: number, shape: ScheduleShape = {}): Schedule {
  const rng = createRng(seed).fork('schedule');
  const end = shape.durationMs ?? 14_000;
  const events: ScheduleEvent[] = [];
  const at = (lo = 0, hi = end - 500): number => rng.int(lo, hi);

  const humans = rng.int(3, 6);
  for (let i = 0; i < humans; i += 1) {
    const who = rng.pick(['alice', 'bob'] as const);
    const kind = rng.weighted([
      ['note', 2],
      ['config-key', 2],
      ['annotation', 1],
      ['spec-tag', 3],
    ] as const);
    let edit: HumanEdit;
    if (kind === 'note') edit = { kind, line: `${who} was here (seed ${seed}, edit ${i})` };
    else if (kind === 'config-key') edit = { kind, key: `key${i}`, value: `value-${seed}-${i}` };
    else if (kind === 'annotation')
      edit = { kind, stream: rng.pick(['app', 'tools'] as const), key: `fault.test/note-${i}`, value: `${who}-${i}` };
    else edit = { kind, stream: rng.pick(['app', 'worker', 'tools'] as const), name: `h${i}`, target: rng.int(0, targets.length - 1) };
    events.push({ at: at(0), kind: 'human', who, edit });
  }

  // Registry fault windows first: most pushes land inside one, so the imports they cause meet the faults.
  const windows = rng.int(2, 3);
  const open: Array<readonly [number, number]> = [];
  for (let i = 0; i < windows; i += 1) {
    const start = at(0, end - 2000);
    const until = Math.min(end, start + rng.int(2000, 6000));
    const weights: Array<[RegistryFaultKind, number]> = [
      ['5xx', rng.int(0, 3)],
      ['429', rng.int(0, 2)],
      ['reset', rng.int(0, 2)],
      ['truncate', rng.int(0, 2)],
      ['stall', rng.int(0, 2)],
      ['wrong-digest', rng.int(0, 3)],
    ];
    if (weights.every(([, w]) => w === 0)) weights[0] = ['5xx', 1];
    open.push([start, until]);
    events.push({
      at: start,
      kind: 'registry-faults',
      until,
      rate: rng.pick([0.35, 0.5, 0.8, 1]),
      weights: weights.filter(([, w]) => w > 0),
    });
  }

  const pushes = rng.int(5, 9);
  for (let i = 0; i < pushes; i += 1) {
    const inside = rng.chance(0.6) ? rng.pick(open) : undefined;
    const when = inside ? rng.int(inside[0], Math.max(inside[0], inside[1] - 300)) : at(300);
    events.push({
      at: when,
      kind: 'push',
      target: rng.int(0, targets.length - 1),
      image: `s${seed}-p${i}`,
      duplicates: rng.chance(0.25) ? 1 : 0,
      notifyDelayMs: rng.pick([0, 0, 50, 300]),
    });
  }

  const gitFaults = rng.int(1, 3);
  let cursor = 0;
  for (let i = 0; i < gitFaults && cursor < end - 1000; i += 1) {
    const start = rng.int(cursor, Math.max(cursor, end - 1000));
    const until = Math.min(end, start + rng.int(800, 3500));
    events.push({
      at: start,
      kind: 'git-fault',
      until,
      mode: rng.pick(['refuse', '503', 'reset', 'decline', 'truncate', 'stall'] as const),
    });
    cursor = until + 200;
  }

  const kills = rng.int(1, 3);
  for (let i = 0; i < kills; i += 1) {
    events.push({
      at: at(0),
      kind: 'kill',
      // Mostly SIGKILL; now and then a SIGTERM (the pass finishes, exit 0) and a restart.
      signal: rng.chance(0.15) ? 'SIGTERM' : 'SIGKILL',
      trigger: rng.weighted([
        ['now', 2],
        ['pass-started', 2],
        ['workdir-changed', 2],
        ['index-written', 2],
        ['push-sent', 1],
        ['push-landed', 2],
        ['accepted', 1],
      ] as const),
      delayMs: rng.pick([0, 0, 30, 150, 400]),
      restartAfterMs: rng.int(100, 1500),
    });
  }
  events.sort((a, b) => a.at - b.at);
  return { seed, faultsEndAt: end, events };
}
