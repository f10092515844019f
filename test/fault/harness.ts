/**
 * One fault schedule against `imagestreams run` as a child process: a real registry behind the fault proxy, the
 * real Git server behind a proxy that can go down, two people committing with the git CLI, registry pushes with
 * notifications (delivered like a registry does: retried until answered 202), and SIGKILLs with restarts on the
 * same --workdir. When the faults end the harness waits for the daemon to settle, then checks the invariants
 * (invariants.ts). Everything a schedule starts it stops; a failed schedule keeps its directory for inspection.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DaemonProcess } from '../support/daemon-process.js';
import { startDaemon } from '../support/daemon-process.js';
import type { FaultProxy, RegistryFaultKind } from '../support/fault-proxy.js';
import { registryFaultKinds, startFaultProxy } from '../support/fault-proxy.js';
import { createBareRepo, gitAsync, startGitServer } from '../support/git-server.js';
import type { GitServer } from '../support/git-server.js';
import { buildImage, MEDIA } from '../support/images.js';
import { pushImage } from '../support/push.js';
import type { Registry } from '../support/registry.js';
import { startRegistry } from '../support/registry.js';
import { applyEdit, describeEdit, initialFiles } from './fixture.js';
import type { GitProxy } from './git-proxy.js';
import { installDeclineHook, startGitProxy } from './git-proxy.js';
import { checkInvariants } from './invariants.js';
import type { Violation } from './invariants.js';
import { createRng } from './prng.js';
import type { HumanEdit, KillTrigger, Schedule, ScheduleEvent, ScheduleShape } from './schedule.js';
import { describeSchedule, generateSchedule, pickFault, targetName, targets } from './schedule.js';

export const daemonEmail = 'daemon@fault.test';
const secret = 'fault-suite-registry-secret';

export interface RunOptions extends ScheduleShape {
  readonly seed: number;
  /** Longest wait for the daemon to settle after the faults end (default defaultSettleMs). */
  readonly settleTimeoutMs?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Keep the directory even when every invariant held. */
  readonly keep?: boolean;
}

export interface PushRecord {
  readonly target: number;
  readonly digest: string;
  readonly pushedAt: number;
  /** 1-based order among pushes to the same target (0: the initial image). */
  readonly order: number;
}

export interface NotificationRecord {
  readonly push: PushRecord;
  readonly sentAt: number;
  acceptedAt: number | undefined;
  attempts: number;
  lastError?: string;
}

export interface HumanCommit {
  readonly who: string;
  readonly edit: HumanEdit;
  readonly commit: string;
  readonly pushedAt: number;
  readonly attempts: number;
}

export interface KillRecord {
  readonly signal: 'SIGKILL' | 'SIGTERM';
  readonly trigger: KillTrigger;
  readonly at: number;
  readonly pid: number;
}

export interface Figures {
  schedules: number;
  registryFaults: Record<RegistryFaultKind, number>;
  gitFaults: {
    refuseWindows: number;
    answered503: number;
    resets: number;
    truncated: number;
    stalled: number;
    declineWindows: number;
    pushesDropped: number;
  };
  sigkills: number;
  sigterms: number;
  sigkillsByTrigger: Record<string, number>;
  killsNotFired: number;
  restarts: number;
  humanCommitsPushed: number;
  humanCommitsKept: number;
  notificationsSent: number;
  notificationsAccepted: number;
  registryPushes: number;
  revisionsChecked: number;
  blobsParsed: number;
  commits: number;
  daemonCommits: number;
  passes: number;
  failedPasses: number;
  importsFailed: number;
  pushRetries: number;
  journalResumes: number;
  notificationsAcceptedWhileGitFaulted: number;
  tagsLeftFailed: number;
}

export function emptyFigures(): Figures {
  return {
    schedules: 0,
    registryFaults: Object.fromEntries(registryFaultKinds.map((k) => [k, 0])) as Record<RegistryFaultKind, number>,
    gitFaults: { refuseWindows: 0, answered503: 0, resets: 0, truncated: 0, stalled: 0, declineWindows: 0, pushesDropped: 0 },
    sigkills: 0,
    sigterms: 0,
    sigkillsByTrigger: {},
    killsNotFired: 0,
    restarts: 0,
    humanCommitsPushed: 0,
    humanCommitsKept: 0,
    notificationsSent: 0,
    notificationsAccepted: 0,
    registryPushes: 0,
    revisionsChecked: 0,
    blobsParsed: 0,
    commits: 0,
    daemonCommits: 0,
    passes: 0,
    failedPasses: 0,
    importsFailed: 0,
    pushRetries: 0,
    journalResumes: 0,
    notificationsAcceptedWhileGitFaulted: 0,
    tagsLeftFailed: 0,
  };
}

export function addFigures(into: Figures, f: Figures): void {
  for (const [k, v] of Object.entries(f) as Array<[keyof Figures, unknown]>) {
    if (typeof v === 'number') (into[k] as number) += v;
    else if (v && typeof v === 'object') {
      const target = into[k] as unknown as Record<string, number>;
      for (const [kk, vv] of Object.entries(v as Record<string, number>)) target[kk] = (target[kk] ?? 0) + vv;
    }
  }
}

export function formatFigures(f: Figures): string {
  const faults = Object.entries(f.registryFaults)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const kills = Object.entries(f.sigkillsByTrigger)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `schedules run:          ${f.schedules}`,
    `registry faults:        ${Object.values(f.registryFaults).reduce((a, b) => a + b, 0)} (${faults})`,
    `git faults:             ${f.gitFaults.refuseWindows} refusal windows, ${f.gitFaults.answered503} answered 503, ${f.gitFaults.resets} resets, ${f.gitFaults.truncated} answers cut short, ${f.gitFaults.stalled} stalls, ${f.gitFaults.declineWindows} decline windows, ${f.gitFaults.pushesDropped} pushes cut by a kill`,
    `SIGKILLs:               ${f.sigkills}${kills ? ` (${kills})` : ''}; ${f.sigterms} SIGTERMs; ${f.restarts} restarts; ${f.killsNotFired} armed kills never fired`,
    `registry pushes:        ${f.registryPushes}; notifications sent ${f.notificationsSent}, accepted ${f.notificationsAccepted} (${f.notificationsAcceptedWhileGitFaulted} while the Git server was faulted)`,
    `human commits kept:     ${f.humanCommitsKept} of ${f.humanCommitsPushed} pushed`,
    `revisions checked:      ${f.revisionsChecked} (file × commit; ${f.blobsParsed} distinct blobs parsed) in ${f.commits} commits, ${f.daemonCommits} by the daemon`,
    `tags left failed:       ${f.tagsLeftFailed} (an import failed under a fault and nothing asked again: by design, not an invariant)`,
    `daemon passes:          ${f.passes} (${f.failedPasses} failed); ${f.importsFailed} imports failed, ${f.pushRetries} pushes rejected and planned again, ${f.journalResumes} restarts resumed accepted work`,
  ].join('\n');
}

export interface ScheduleResult {
  readonly seed: number;
  readonly schedule: Schedule;
  readonly violations: readonly Violation[];
  readonly observations: readonly string[];
  readonly figures: Figures;
  readonly dir: string;
  readonly kept: boolean;
  readonly ms: number;
}

export function replayCommand(seed: number, shape: ScheduleShape & { settleTimeoutMs?: number } = {}): string {
  const duration = shape.durationMs !== undefined && shape.durationMs !== 14_000 ? ` --duration ${shape.durationMs}ms` : '';
  const settle =
    shape.settleTimeoutMs !== undefined && shape.settleTimeoutMs !== defaultSettleMs ? ` --settle ${shape.settleTimeoutMs}ms` : '';
  return `npx tsx scripts/fault-suite.ts --seed ${seed}${duration}${settle}`;
}

/**
 * How long the daemon gets to settle after the faults end. The importer's circuit stays open 60 s after repeated
 * failures, and a notification retried meanwhile backs off (1, 2, 4, ... s, up to 60 s), so landing can take two
 * minutes after a registry outage, by design.
 */
export const defaultSettleMs = 150_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The daemon across kills and restarts: one process at a time on the same --workdir. */
class DaemonRunner {
  current: DaemonProcess | undefined;
  starts = 0;
  readonly kills: KillRecord[] = [];
  restarting: Promise<void> | undefined;
  readonly all: DaemonProcess[] = [];
  readonly exitCodes: Array<number | null> = [];

  constructor(
    private readonly args: readonly string[],
    private readonly dir: string,
    private readonly marker: string,
  ) {}

  async start(): Promise<void> {
    this.starts += 1;
    const d = await startDaemon(this.args, {
      env: { IMAGESTREAMS_FAULT_MARK: this.marker },
      logFile: path.join(this.dir, `daemon-${this.starts}.log`),
    });
    this.all.push(d);
    this.current = d;
  }

  get url(): string | undefined {
    return this.restarting ? undefined : this.current?.url;
  }

  /** Exit codes of SIGTERMed daemons other than 0 (each one is a clean-exit violation). */
  readonly unclean: string[] = [];

  /**
   * SIGKILL (or SIGTERM) now, then a restart after `restartAfterMs` (tracked in `restarting`). False when no
   * daemon was up.
   */
  kill(signal: 'SIGKILL' | 'SIGTERM', trigger: KillTrigger, restartAfterMs: number): boolean {
    const d = this.current;
    if (!d || this.restarting || d.proc.exited()) return false;
    process.kill(d.proc.pid, signal);
    this.kills.push({ signal, trigger, at: Date.now(), pid: d.proc.pid });
    this.restarting = (async () => {
      const deadline = Date.now() + 25_000;
      while (!d.proc.exited() && Date.now() < deadline) await sleep(10);
      if (signal === 'SIGTERM') {
        const code = d.proc.child.exitCode;
        if (!d.proc.exited()) {
          this.unclean.push(`pid ${d.proc.pid} was still running 25 s after SIGTERM (${trigger}); killed`);
          await d.proc.stop(100);
        } else if (code !== 0)
          this.unclean.push(`pid ${d.proc.pid} exited ${code ?? d.proc.child.signalCode} after SIGTERM (${trigger}), not 0`);
      }
      await sleep(restartAfterMs);
      for (let i = 0; ; i += 1) {
        try {
          await this.start();
          break;
        } catch (err) {
          // The daemon exited before answering (a port taken between freePort and listen, say): try again.
          if (i >= 3) throw err;
        }
      }
    })().finally(() => {
      this.restarting = undefined;
    });
    return true;
  }

  logs(): Array<Record<string, unknown>> {
    return this.all.flatMap((d) => {
      try {
        return d.logs();
      } catch {
        return [];
      }
    });
  }

  /** Every start's log text (for the failure report). */
  logText(): string {
    return this.all.map((d, i) => `--- daemon start ${i + 1} (pid ${d.proc.pid}) ---\n${d.proc.log()}`).join('\n');
  }
}

async function json(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

export interface DaemonStatusBody {
  state?: string;
  passes?: number;
  pendingWork?: number;
  passStartedAt?: number;
  nextRetryAt?: number;
  nextDueAt?: number;
  reason?: string;
  code?: string;
}

export async function runSchedule(options: RunOptions): Promise<ScheduleResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const schedule = generateSchedule(options.seed, options);
  const dir = mkdtempSync(path.join(tmpdir(), `imagestreams-fault-${options.seed}-`));
  const marker = `${options.seed}-${randomBytes(4).toString('hex')}`;
  const violations: Violation[] = [];
  const observations: string[] = [];
  const figures = emptyFigures();
  figures.schedules = 1;
  const cleanups: Array<() => Promise<void> | void> = [];
  let runner: DaemonRunner | undefined;
  let proxy: FaultProxy | undefined;
  let gitProxy: GitProxy | undefined;
  let kept = false;

  try {
    // Servers: the registry (pushes go to it directly), the fault proxy the streams name, the Git server and the
    // proxy the daemon reaches it through. People reach the Git server directly: only the daemon's path breaks.
    const registry: Registry = await startRegistry();
    cleanups.push(() => registry.stop());
    proxy = await startFaultProxy(registry.url, { maxStallMs: 2500 });
    cleanups.push(() => proxy?.stop());
    const gitServer: GitServer = await startGitServer({ projectRoot: path.join(dir, 'git') });
    cleanups.push(() => gitServer.stop());
    gitProxy = await startGitProxy(gitServer.port);
    cleanups.push(() => gitProxy?.stop());
    const host = proxy.host;

    const pushes: PushRecord[] = [];
    const orders = targets.map(() => 0);
    for (let i = 0; i < targets.length; i += 1) {
      const t = targets[i] as (typeof targets)[number];
      const digest = await pushImage({ url: registry.url }, t.repository, t.tag, buildImage({ seed: `s${options.seed}-initial-${i}` }));
      pushes.push({ target: i, digest, pushedAt: Date.now(), order: 0 });
    }
    const bare = createBareRepo(gitServer.projectRoot, 'deploy', { files: initialFiles(host), message: 'initial commit' });
    const decline = installDeclineHook(bare, daemonEmail);
    const humanUrl = gitServer.repoUrl('deploy');

    const workdir = path.join(dir, 'wd');
    const secretFile = path.join(dir, 'registry-hook-secret');
    writeFileSync(secretFile, `${secret}\n`);
    const args = [
      '--repo-url',
      `${gitProxy.url}/deploy.git`,
      '--workdir',
      workdir,
      '--cache-dir',
      path.join(dir, 'cache'),
      '--poll-interval',
      '500ms',
      '--debounce',
      '50ms',
      '--pass-timeout',
      '60s',
      '--grace-period',
      '15s',
      '--registry-hook-secret-file',
      secretFile,
      '--author',
      `imagestreams-daemon <${daemonEmail}>`,
    ];
    runner = new DaemonRunner(args, dir, marker);
    const r = runner;
    await r.start();
    const t0 = Date.now();
    log(
      `seed ${options.seed}: daemon up (pid ${r.current?.proc.pid}); ${schedule.events.length} events over ${schedule.faultsEndAt} ms; ${dir}`,
    );

    // People: one clone each, edits made one after another per person, retried on a rejected push.
    const humans = new Map<string, { dir: string; queue: Promise<void> }>();
    for (const who of ['alice', 'bob']) {
      const hd = path.join(dir, `human-${who}`);
      await gitAsync(['clone', '-q', humanUrl, hd]);
      humans.set(who, { dir: hd, queue: Promise.resolve() });
    }
    const humanCommits: HumanCommit[] = [];
    const humanFailures: string[] = [];
    const humanRng = createRng(options.seed).fork('humans');
    const humanEdit = async (who: string, edit: HumanEdit): Promise<void> => {
      const h = humans.get(who);
      if (!h) return;
      const env = {
        GIT_AUTHOR_NAME: who,
        GIT_AUTHOR_EMAIL: `${who}@fault.test`,
        GIT_COMMITTER_NAME: who,
        GIT_COMMITTER_EMAIL: `${who}@fault.test`,
      };
      let lastError = '';
      for (let attempt = 1; attempt <= 15; attempt += 1) {
        try {
          await gitAsync(['fetch', '-q', 'origin'], h.dir);
          await gitAsync(['reset', '-q', '--hard', 'origin/main'], h.dir);
          applyEdit(h.dir, edit, host);
          await gitAsync(['add', '-A'], h.dir);
          await gitAsync(['commit', '-qm', `${who}: ${describeEdit(edit)}`], h.dir, env);
          await gitAsync(['push', '-q', 'origin', 'HEAD:main'], h.dir);
          const commit = await gitAsync(['rev-parse', 'HEAD'], h.dir);
          humanCommits.push({ who, edit, commit, pushedAt: Date.now(), attempts: attempt });
          return;
        } catch (err) {
          lastError = String(err);
          // Rejected (the daemon or the other person pushed first): start again from the new head.
          await sleep(humanRng.int(50, 300));
        }
      }
      humanFailures.push(`${who} could not land "${describeEdit(edit)}" in 15 attempts: ${lastError.slice(0, 500)}`);
    };

    // Registry pushes, one at a time (so the order of pushes to a tag is known), each notified after it.
    const notifications: NotificationRecord[] = [];
    let pushQueue = Promise.resolve();
    const deliveries = new Set<Promise<void>>();
    let deliveryDeadline = Number.POSITIVE_INFINITY;
    let onAccepted = (): void => undefined;
    const deliver = (n: NotificationRecord, delayMs: number): void => {
      const p = (async () => {
        await sleep(delayMs);
        const t = targets[n.push.target] as (typeof targets)[number];
        const body = JSON.stringify({
          events: [
            {
              id: randomBytes(8).toString('hex'),
              timestamp: new Date().toISOString(),
              action: 'push',
              target: {
                mediaType: MEDIA.dockerManifest,
                repository: t.repository,
                tag: t.tag,
                digest: n.push.digest,
                url: `http://${host}/v2/${t.repository}/manifests/${n.push.digest}`,
              },
              request: { host, method: 'PUT', useragent: 'fault-suite' },
            },
          ],
        });
        // Like the registry's notification endpoint: retried until answered, with a short backoff.
        while (Date.now() < deliveryDeadline) {
          const url = r.url;
          if (url) {
            n.attempts += 1;
            try {
              const res = await fetch(`${url}/hooks/registry`, {
                method: 'POST',
                headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
                body,
                signal: AbortSignal.timeout(5000),
              });
              await res.text();
              if (res.status === 202) {
                n.acceptedAt = Date.now();
                onAccepted();
                return;
              }
              n.lastError = `HTTP ${res.status}`;
            } catch (err) {
              n.lastError = String((err as { cause?: unknown }).cause ?? err);
            }
          }
          await sleep(200);
        }
      })();
      deliveries.add(p);
      void p.finally(() => deliveries.delete(p));
    };
    const registryPush = (e: Extract<ScheduleEvent, { kind: 'push' }>): void => {
      pushQueue = pushQueue.then(async () => {
        const t = targets[e.target] as (typeof targets)[number];
        const digest = await pushImage({ url: registry.url }, t.repository, t.tag, buildImage({ seed: e.image }));
        orders[e.target] = (orders[e.target] ?? 0) + 1;
        const rec: PushRecord = { target: e.target, digest, pushedAt: Date.now(), order: orders[e.target] ?? 1 };
        pushes.push(rec);
        for (let i = 0; i <= e.duplicates; i += 1) {
          const n: NotificationRecord = { push: rec, sentAt: Date.now(), acceptedAt: undefined, attempts: 0 };
          notifications.push(n);
          deliver(n, e.notifyDelayMs + i * 120);
        }
      });
    };

    // Registry fault windows: the latest open window decides, one seeded draw per request.
    const proxyRng = createRng(options.seed).fork('proxy');
    const windows: Array<Extract<ScheduleEvent, { kind: 'registry-faults' }>> = [];
    const p = proxy;
    const updatePolicy = (): void => {
      const w = windows.at(-1);
      p.setPolicy(w ? () => (proxyRng.chance(w.rate) ? pickFault(proxyRng, w.weights) : undefined) : undefined);
    };

    // Kill triggers.
    type Armed = { e: Extract<ScheduleEvent, { kind: 'kill' }>; fired: boolean; cleanup?: () => void };
    const armed: Armed[] = [];
    const fire = (a: Armed): void => {
      if (a.fired) return;
      a.fired = true;
      a.cleanup?.();
      if (r.kill(a.e.signal, a.e.trigger, a.e.restartAfterMs))
        log(`seed ${options.seed}: ${a.e.signal} (${a.e.trigger}) at ${Date.now() - t0} ms`);
      else a.fired = false; // nothing to kill right now (restarting): stay armed
    };
    const gp = gitProxy;
    gp.hooks = {
      onPushRequest: () => {
        const a = armed.find((x) => !x.fired && x.e.trigger === 'push-sent');
        if (!a || !r.current || r.restarting) return 'forward';
        fire(a);
        return a.fired ? 'drop' : 'forward';
      },
      onPushAnswered: () => {
        const a = armed.find((x) => !x.fired && x.e.trigger === 'push-landed');
        if (!a || !r.current || r.restarting) return 'forward';
        fire(a);
        return a.fired ? 'drop' : 'forward';
      },
    };
    onAccepted = () => {
      const a = armed.find((x) => !x.fired && x.e.trigger === 'accepted');
      if (a) setTimeout(() => fire(a), a.e.delayMs);
    };
    const arm = (e: Extract<ScheduleEvent, { kind: 'kill' }>): void => {
      const a: Armed = { e, fired: false };
      armed.push(a);
      if (e.trigger === 'now') {
        setTimeout(() => fire(a), e.delayMs);
      } else if (e.trigger === 'pass-started') {
        const count = (): number => r.all.reduce((s, d) => s + (d.proc.log().match(/"msg":"pass started"/g)?.length ?? 0), 0);
        let seen = count();
        const timer = setInterval(() => {
          const n = count();
          if (n > seen && !r.restarting) {
            clearInterval(timer);
            setTimeout(() => fire(a), e.delayMs);
          }
          seen = Math.max(seen, n);
        }, 40);
        a.cleanup = () => clearInterval(timer);
      } else if (e.trigger === 'workdir-changed') {
        let watcher: FSWatcher | undefined;
        try {
          watcher = watch(workdir, { recursive: true }, (_ev, file) => {
            const f = String(file ?? '');
            if (f.startsWith('.git') || !/^(streams|apps)\//.test(f)) return;
            if (e.delayMs > 0) setTimeout(() => fire(a), e.delayMs);
            else fire(a);
          });
        } catch {
          // no working directory yet: fall back to a kill at once
          setTimeout(() => fire(a), e.delayMs);
        }
        a.cleanup = () => watcher?.close();
      } else if (e.trigger === 'index-written') {
        let watcher: FSWatcher | undefined;
        try {
          watcher = watch(path.join(workdir, '.git'), (_ev, file) => {
            if (String(file ?? '') !== 'index') return;
            if (e.delayMs > 0) setTimeout(() => fire(a), e.delayMs);
            else fire(a);
          });
        } catch {
          setTimeout(() => fire(a), e.delayMs);
        }
        a.cleanup = () => watcher?.close();
      }
    };

    // Play the schedule.
    const gitWindows: Array<[number, number]> = [];
    const actions = new Set<Promise<unknown>>();
    const track = (pr: Promise<unknown>): void => {
      const q = pr.catch((err: unknown) => violations.push({ invariant: 'harness', detail: `a schedule action failed: ${String(err)}` }));
      actions.add(q);
      void q.finally(() => actions.delete(q));
    };
    const timers: NodeJS.Timeout[] = [];
    const at = (ms: number, fn: () => void): void => {
      timers.push(setTimeout(fn, Math.max(0, t0 + ms - Date.now())));
    };
    for (const e of schedule.events) {
      at(e.at, () => {
        switch (e.kind) {
          case 'push':
            registryPush(e);
            track(pushQueue);
            return;
          case 'human': {
            const h = humans.get(e.who);
            if (!h) return;
            h.queue = h.queue.then(() => humanEdit(e.who, e.edit));
            track(h.queue);
            return;
          }
          case 'registry-faults':
            windows.push(e);
            updatePolicy();
            at(e.until, () => {
              windows.splice(windows.indexOf(e), 1);
              updatePolicy();
            });
            return;
          case 'git-fault':
            gitWindows.push([Date.now(), t0 + e.until]);
            if (e.mode === 'decline') {
              figures.gitFaults.declineWindows += 1;
              decline.set(true);
              at(e.until, () => decline.set(false));
            } else {
              track(gp.setMode(e.mode));
              at(e.until, () => track(gp.setMode('up')));
            }
            return;
          case 'kill':
            arm(e);
            return;
        }
      });
    }
    await sleep(Math.max(0, t0 + schedule.faultsEndAt - Date.now()));

    // The faults end: no new faults, no armed kills; what is in flight finishes.
    for (const t of timers) clearTimeout(t);
    windows.length = 0;
    p.setPolicy(undefined);
    decline.set(false);
    await gp.setMode('up');
    for (const a of armed) {
      a.cleanup?.();
      if (!a.fired) {
        a.fired = true;
        figures.killsNotFired += 1;
      }
    }
    const settleTimeout = options.settleTimeoutMs ?? defaultSettleMs;
    const deadline = Date.now() + settleTimeout;
    deliveryDeadline = deadline;
    while (actions.size > 0 && Date.now() < deadline) await Promise.race([...actions, sleep(500)]);
    while (r.restarting && Date.now() < deadline) await r.restarting.catch(() => undefined);
    log(`seed ${options.seed}: faults ended at ${Date.now() - t0} ms; waiting for the daemon to settle`);

    // Settle: ready, idle, nothing pending, every notification delivered, the remote head still.
    const settled = await settle(r, bare, deliveries, deadline);
    if (!settled.ok) violations.push({ invariant: 'daemon-settles', detail: settled.reason });
    if (settled.hiddenRetry)
      observations.push(
        '/status showed accepted work pending for 5 s or more while the daemon was ready and idle, with no nextRetryAt and no nextDueAt',
      );
    log(`seed ${options.seed}: ${settled.ok ? 'settled' : 'did not settle'} at ${Date.now() - t0} ms`);

    for (const n of notifications)
      if (n.acceptedAt === undefined)
        violations.push({
          invariant: 'notification-delivered',
          detail: `the notification for ${targetName(n.push.target)}@${n.push.digest} was never answered 202 (${n.attempts} attempts, last: ${n.lastError ?? '?'})`,
        });
    for (const f of humanFailures) violations.push({ invariant: 'harness', detail: f });

    // Invariants on the history and the final tree.
    const checked = await checkInvariants({
      bare,
      dir,
      host,
      pushes,
      notifications,
      humanCommits,
      daemonEmail,
      proxy: p,
      log: (l) => log(`seed ${options.seed}: ${l}`),
    });
    violations.push(...checked.violations);
    figures.revisionsChecked = checked.revisions;
    figures.blobsParsed = checked.blobs;
    figures.commits = checked.commits;
    figures.daemonCommits = checked.daemonCommits;
    figures.humanCommitsKept = checked.humanCommitsKept;
    figures.tagsLeftFailed = checked.observations.length;
    observations.push(...checked.observations);

    // Stop: SIGTERM, a clean exit, and nothing of ours left running.
    await r.restarting?.catch(() => undefined);
    const last = r.current;
    if (last) {
      await last.stop();
      const code = last.proc.child.exitCode;
      const signal = last.proc.child.signalCode;
      if (code !== 0)
        violations.push({
          invariant: 'clean-exit',
          detail: `after SIGTERM the daemon exited with ${code ?? signal ?? 'nothing'} (expected 0)`,
        });
      else if (!last.logs().some((l) => l.msg === 'stopped'))
        violations.push({ invariant: 'clean-exit', detail: 'the daemon exited 0 without logging "stopped"' });
    }
    const leftovers = leftoverProcesses(marker, r);
    if (leftovers.length > 0) violations.push({ invariant: 'nothing-left-running', detail: leftovers.join('; ') });

    const logs = r.logs();
    figures.passes = logs.filter((l) => l.msg === 'pass started').length;
    figures.failedPasses = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('pass failed')).length;
    figures.importsFailed = logs.filter((l) => l.msg === 'import failed').length;
    figures.pushRetries = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('push rejected')).length;
    figures.journalResumes = logs.filter((l) => l.msg === 'resuming accepted work from before the restart').length;
    figures.notificationsAcceptedWhileGitFaulted = notifications.filter(
      (n) => n.acceptedAt !== undefined && gitWindows.some(([a, b]) => (n.acceptedAt as number) >= a && (n.acceptedAt as number) <= b),
    ).length;
    figures.sigkills = r.kills.filter((k) => k.signal === 'SIGKILL').length;
    figures.sigterms = r.kills.filter((k) => k.signal === 'SIGTERM').length;
    for (const k of r.kills)
      if (k.signal === 'SIGKILL') figures.sigkillsByTrigger[k.trigger] = (figures.sigkillsByTrigger[k.trigger] ?? 0) + 1;
    for (const u of r.unclean) violations.push({ invariant: 'clean-exit', detail: u });
    figures.restarts = r.starts - 1;
    figures.humanCommitsPushed = humanCommits.length;
    figures.notificationsSent = notifications.length;
    figures.notificationsAccepted = notifications.filter((n) => n.acceptedAt !== undefined).length;
    figures.registryPushes = pushes.length - targets.length;
    figures.registryFaults = p.counts();
    figures.gitFaults.refuseWindows = gp.counts.refusedWindows;
    figures.gitFaults.answered503 = gp.counts.answered503;
    figures.gitFaults.resets = gp.counts.resets;
    figures.gitFaults.truncated = gp.counts.truncated;
    figures.gitFaults.stalled = gp.counts.stalled;
    figures.gitFaults.pushesDropped = gp.counts.pushesDropped;

    if (violations.length > 0 || options.keep) {
      kept = true;
      writeFileSync(path.join(dir, 'schedule.txt'), `${describeSchedule(schedule)}\n`);
      writeFileSync(path.join(dir, 'violations.json'), `${JSON.stringify(violations, null, 2)}\n`);
      writeFileSync(
        path.join(dir, 'timeline.json'),
        `${JSON.stringify({ t0, pushes, notifications, humanCommits, kills: r.kills, faults: p.injected }, null, 2)}\n`,
      );
      writeFileSync(path.join(dir, 'daemon.log'), r.logText());
    }
  } catch (err) {
    violations.push({
      invariant: 'harness',
      detail: `the schedule could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    });
    kept = true;
    if (runner) writeFileSync(path.join(dir, 'daemon.log'), runner.logText());
  } finally {
    for (const d of runner?.all ?? []) if (!d.proc.exited()) await d.proc.stop(2000);
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
  return { seed: options.seed, schedule, violations, observations, figures, dir, kept, ms: Date.now() - started };
}

function readHead(bare: string): string {
  try {
    return readFileSync(path.join(bare, 'refs/heads/main'), 'utf8').trim();
  } catch {
    const packed = readFileSync(path.join(bare, 'packed-refs'), 'utf8');
    return /^([0-9a-f]{40}) refs\/heads\/main$/m.exec(packed)?.[1] ?? '';
  }
}

/**
 * Wait until the daemon is ready and idle with no pending work, every notification has been delivered, and
 * neither the remote head nor the daemon's pass count has moved for 2 s. There is no early "stuck" verdict: the
 * daemon may be waiting for a retry that /status does not show (see `hiddenRetry`), or for the importer's circuit,
 * which stays open 60 s; only the deadline ends the wait. `hiddenRetry` says /status showed accepted work pending,
 * the daemon idle and ready, and no retry or alarm, for 5 s or more at some point (an observation, not a verdict).
 */
async function settle(
  r: DaemonRunner,
  bare: string,
  deliveries: ReadonlySet<Promise<void>>,
  deadline: number,
): Promise<{ ok: boolean; reason: string; hiddenRetry: boolean }> {
  let key = '';
  let since = Date.now();
  let last = 'no answer from the daemon';
  let hiddenRetry = false;
  let lastPassAt = Date.now();
  let passes: number | undefined;
  while (Date.now() < deadline) {
    await sleep(250);
    const url = r.url;
    if (!url) {
      last = 'the daemon is restarting';
      continue;
    }
    let status: DaemonStatusBody;
    let ready: number;
    try {
      status = (await json(`${url}/status`)).body as DaemonStatusBody;
      ready = (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) })).status;
    } catch (err) {
      last = `the daemon did not answer: ${String(err)}`;
      continue;
    }
    if (status.passes !== passes) {
      passes = status.passes;
      lastPassAt = Date.now();
    }
    const head = readHead(bare);
    const k = JSON.stringify([head, status.passes, status.pendingWork, status.state, ready, deliveries.size]);
    if (k !== key) {
      key = k;
      since = Date.now();
    }
    const idle = status.passStartedAt === undefined || status.passStartedAt === null;
    last = `state ${status.state}, /readyz ${ready}, ${status.pendingWork} pending, ${idle ? 'idle' : 'in a pass'}, last pass started ${Math.round((Date.now() - lastPassAt) / 1000)} s ago (or more), ${deliveries.size} notifications in delivery${status.reason ? `, reason: ${status.reason}` : ''}${status.nextRetryAt ? `, retry at +${status.nextRetryAt - Date.now()} ms` : ', no retry shown on /status'}`;
    const quiet = ready === 200 && status.state === 'ready' && idle && status.pendingWork === 0 && deliveries.size === 0;
    if (quiet && Date.now() - since >= 2000) return { ok: true, reason: '', hiddenRetry };
    const unexplained =
      status.state === 'ready' &&
      idle &&
      (status.pendingWork ?? 0) > 0 &&
      !status.nextRetryAt &&
      !status.nextDueAt &&
      deliveries.size === 0;
    if (unexplained && Date.now() - since >= 5000) hiddenRetry = true;
  }
  return { ok: false, reason: `did not settle before the deadline: ${last}`, hiddenRetry };
}

/** Processes still running that a daemon of this schedule started (they carry its marker), and our zombies. */
function leftoverProcesses(marker: string, r: DaemonRunner): string[] {
  const out: string[] = [];
  for (const d of r.all) if (!d.proc.exited()) out.push(`daemon pid ${d.proc.pid} still running`);
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const pid of entries) {
    if (Number(pid) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' && Number(fields[1]) === process.pid)
        out.push(`zombie child pid ${pid} (${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))})`);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (environ.split('\0').includes(`IMAGESTREAMS_FAULT_MARK=${marker}`))
        out.push(`pid ${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 200)}) still running`);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
