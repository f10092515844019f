/** The daemon's parts in isolation: the pass queue (fake time), the journal on disk, the status transitions, the HTTP limits. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/cli/daemon/daemon.js';
import { startHttp } from '../../src/cli/daemon/http.js';
import { WorkJournal } from '../../src/cli/daemon/journal.js';
import { PassQueue } from '../../src/cli/daemon/queue.js';
import { DaemonStatus } from '../../src/cli/daemon/status.js';
import { AlarmClock } from '../../src/cli/daemon/timers.js';
import { DaemonMetrics } from '../../src/cli/metrics.js';
import { describeFailure, PassTimeoutError } from '../../src/cli/failures.js';
import { ExitCode, UsageError } from '../../src/cli/exit-codes.js';
import { GitError } from '../../src/gitsource/repo.js';
import { RenderError } from '../../src/render/patch.js';
import { CredentialError } from '../../src/import/index.js';
import { FakeTimers } from '../support/fake-timers.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-daemon-parts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A queue whose passes end when the test says so. */
function queue(debounceMs = 0, maxWaitMs = 1000) {
  const timers = new FakeTimers(0, -1); // every timer waits for advance()
  const runs: string[][] = [];
  let finish: () => void = () => undefined;
  const q = new PassQueue(
    (reasons) => {
      runs.push(reasons);
      return new Promise<void>((resolve) => (finish = resolve));
    },
    { debounceMs, maxWaitMs, timers },
  );
  const end = async (): Promise<void> => {
    finish();
    await new Promise((r) => setImmediate(r));
  };
  return { q, timers, runs, end };
}

describe('the pass queue', () => {
  it('starts a pass at once when idle (no debounce), and collects what arrives during it into one pass right after', async () => {
    const { q, timers, runs, end } = queue();
    q.add('startup');
    timers.advance(0);
    expect(runs).toEqual([['startup']]);
    q.add('registry notification');
    q.add('git webhook');
    q.add('registry notification');
    timers.advance(10_000);
    expect(runs).toHaveLength(1); // never two at once
    await end();
    expect(runs).toEqual([['startup'], ['registry notification', 'git webhook']]);
    await end();
    expect(runs).toHaveLength(2);
  });

  it('with a debounce, a burst becomes one pass, and no request waits past max-wait', () => {
    const { q, timers, runs } = queue(200, 500);
    q.add('a');
    timers.advance(150);
    q.add('b');
    timers.advance(150);
    q.add('c');
    timers.advance(150);
    expect(runs).toHaveLength(0);
    q.add('d');
    timers.advance(50); // 500 ms after the first request
    expect(runs).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('addAt rings at the due time (re-armed when it would ring early) and is replaced by a later call', () => {
    const { q, timers, runs } = queue();
    q.addAt(120_000, 'due');
    timers.advance(60_000);
    expect(runs).toHaveLength(0);
    q.addAt(300_000, 'due later');
    timers.advance(100_000);
    expect(runs).toHaveLength(0);
    expect(q.dueAt).toBe(300_000);
    timers.advance(140_000);
    timers.advance(0);
    expect(runs).toEqual([['due later']]);
  });

  it('stop: nothing new starts, and it waits for the running pass', async () => {
    const { q, timers, runs, end } = queue();
    q.add('one');
    timers.advance(0);
    let stopped = false;
    const s = q.stop().then(() => (stopped = true));
    q.add('after stop');
    q.addAfter(10, 'retry');
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    await end();
    await s;
    timers.advance(1000);
    expect(runs).toEqual([['one']]);
  });

  it('the alarm clock wakes at least every cap, so a clock that jumps is noticed', () => {
    const timers = new FakeTimers(0, -1);
    let rang = 0;
    const alarm = new AlarmClock(timers, 60_000);
    alarm.arm(3_600_000, () => (rang += 1));
    expect(timers.waiting).toBe(1);
    timers.advance(3_600_000);
    expect(rang).toBe(1);
    expect(alarm.armedAt).toBeUndefined();
  });
});

describe('the pending-work journal', () => {
  it('keeps accepted work on disk across reopening, and settles only what landed', () => {
    const file = path.join(work, 'j1', 'pending.json');
    const j = WorkJournal.open(file);
    const a = j.add('registry', [{ host: 'r:5000', repository: 'a', tag: 'live', digest: undefined }], '2024-05-01T12:00:00Z');
    const b = j.add('git', [], '2024-05-01T12:00:01Z');
    const again = WorkJournal.open(file);
    expect(again.pending().map((i) => i.id)).toEqual([a.id, b.id]);
    again.settle(new Set([b.id]), new Set([a.id]));
    const third = WorkJournal.open(file);
    expect(third.pending()).toEqual([{ ...a, attempts: 1 }]);
  });

  it('a journal that does not parse is moved aside, not silently dropped', () => {
    const file = path.join(work, 'j2', 'pending.json');
    WorkJournal.open(file);
    writeFileSync(file, '{"items": [tru');
    const j = WorkJournal.open(file);
    expect(j.size).toBe(0);
    expect(j.corruptFile).toMatch(/pending\.json\.corrupt-[0-9a-f]{6}$/);
    expect(readFileSync(j.corruptFile as string, 'utf8')).toBe('{"items": [tru');
  });
});

describe('the daemon status', () => {
  it('starting → ready; transient failures keep it ready until they repeat; a terminal one stalls it at once', () => {
    let now = 0;
    const s = new DaemonStatus(() => now, 3);
    expect(s.snapshot.state).toBe('starting');
    const transient = { code: 'git-unavailable', message: 'down', terminal: false };
    s.passFailed(s.passStarted(), 0, transient, 1000);
    expect(s.snapshot.state).toBe('starting');
    s.passLanded(s.passStarted(), 'landed', 0);
    expect(s.snapshot).toMatchObject({ state: 'ready', consecutiveFailures: 0, reason: undefined });
    now = 10;
    s.passFailed(s.passStarted(), 0, transient, 2000);
    s.passFailed(s.passStarted(), 0, transient, 3000);
    expect(s.snapshot.state).toBe('ready');
    s.passFailed(s.passStarted(), 0, transient, 4000);
    expect(s.snapshot).toMatchObject({
      state: 'failing',
      consecutiveFailures: 3,
      code: 'git-unavailable',
      reason: 'down',
      nextRetryAt: 4000,
    });
    s.passFailed(s.passStarted(), 0, { code: 'git-auth', message: 'refused', terminal: true }, 5000);
    expect(s.snapshot).toMatchObject({ state: 'stalled', code: 'git-auth' });
    s.stopping();
    const last = s.passStarted();
    expect(s.finishedPasses).toBe(last - 1); // the running pass is not finished
    s.passLanded(last, 'nothing-to-do', 0);
    expect(s.snapshot.state).toBe('stopping');
    expect(s.finishedPasses).toBe(last);
  });
});

describe('one failure model', () => {
  it('maps each typed error to a code, a kind and an exit code', () => {
    expect(describeFailure(new UsageError('bad flag'))).toMatchObject({ code: 'usage', kind: 'terminal', exit: ExitCode.usage });
    expect(describeFailure(new UsageError('x', 'listen'))).toMatchObject({ code: 'listen', exit: ExitCode.usage });
    expect(describeFailure(new CredentialError('cannot read'))).toMatchObject({ code: 'credentials', exit: ExitCode.usage });
    expect(describeFailure(new GitError('auth', 'refused'))).toMatchObject({ code: 'git-auth', kind: 'terminal', exit: ExitCode.publish });
    expect(describeFailure(new GitError('not-found', 'no repo'))).toMatchObject({ code: 'git-not-found', kind: 'terminal' });
    expect(describeFailure(new GitError('unavailable', 'down'))).toMatchObject({ code: 'git-unavailable', kind: 'transient' });
    expect(describeFailure(new GitError('push-rejected', 'moved'))).toMatchObject({
      code: 'git-push-rejected',
      kind: 'transient',
      exit: ExitCode.publish,
    });
    expect(describeFailure(new PassTimeoutError('late'))).toMatchObject({ code: 'pass-timeout', kind: 'transient' });
    expect(describeFailure(new RenderError('a.yaml', 'too-large', 'too big'))).toMatchObject({
      code: 'render-too-large',
      exit: ExitCode.partial,
      message: 'cannot edit a.yaml faithfully: too big',
    });
    expect(describeFailure(new TypeError('x is undefined'))).toMatchObject({ code: 'internal', kind: 'bug', exit: ExitCode.internal });
  });

  it('never lets a URL password through', () => {
    expect(describeFailure(new GitError('unavailable', 'clone https://bot:hunter2@git.example.com/x.git: ECONNRESET')).message).toBe(
      'clone https://git.example.com/x.git: ECONNRESET',
    );
    expect(describeFailure(new Error('fetch http://u:p@h/x failed')).message).toBe('fetch http://h/x failed');
  });
});

describe('the endpoints are bounded', () => {
  it('slow clients that never finish their headers are disconnected; the server keeps answering', async () => {
    const fake = {
      snapshot: { state: 'ready', lastPass: { outcome: 'landed' } },
      health: () => ({ ok: true }),
      accept: () => undefined,
    } as unknown as Daemon;
    const server = await startHttp(
      fake,
      new DaemonMetrics(),
      {
        host: '127.0.0.1',
        port: 0,
        limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200, maxConnections: 500, maxBodyBytes: 1024 },
      },
      pino({ level: 'silent' }),
    );
    const port = (server.address() as { port: number }).port;
    try {
      const closed: Promise<void>[] = [];
      for (let i = 0; i < 150; i += 1) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.resume(); // read what the server sends (its 408 and its FIN)
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // headers never end
        closed.push(new Promise((r) => socket.once('close', () => r())));
      }
      const t0 = Date.now();
      await Promise.all(closed);
      expect(Date.now() - t0).toBeLessThan(5_000);
      const open = await new Promise<number>((resolve, reject) =>
        server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
      );
      expect(open).toBe(0);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ready: last pass landed\n');
      const big = await fetch(`http://127.0.0.1:${port}/hooks/registry`, { method: 'POST', body: 'x'.repeat(4096) });
      expect(big.status).toBe(413);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('liveness', () => {
  it('fails while a pass runs far past its deadline (code that ignores the abort), and when the event loop stops ticking', async () => {
    const { Daemon } = await import('../../src/cli/daemon/daemon.js');
    const { GitRepo } = await import('../../src/gitsource/repo.js');
    const timers = new FakeTimers(Date.parse('2024-05-01T12:00:00Z'));
    const dir = mkdtempSync(path.join(work, 'live-'));
    const repo = new GitRepo({ dir, branch: 'main', author: { name: 'a', email: 'a@b' } });
    // A local tree with a stream due for import, and an import that never returns and ignores its signal: a bug.
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['init', '-q', '-b', 'main', dir]);
    writeFileSync(
      path.join(dir, 'is.yaml'),
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: a\nspec:\n  tags:\n  - name: t\n    from:\n      kind: DockerImage\n      name: example.com/a:t\n',
    );
    execFileSync('git', ['-C', dir, '-c', 'user.name=a', '-c', 'user.email=a@b', 'add', '.']);
    execFileSync('git', ['-C', dir, '-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-qm', 'init']);
    const hang = new Promise<never>(() => undefined);
    const { defaultLoadLimits } = await import('../../src/render/limits.js');
    const { defaultWalkOptions } = await import('../../src/render/walk.js');
    const daemonOptions = () => ({
      repo,
      local: true,
      push: false,
      journal: WorkJournal.open(path.join(dir, '.git', 'imagestreams', 'pending.json')),
      pass: {
        walk: defaultWalkOptions,
        limits: defaultLoadLimits,
        settings: defaultReconcileSettings,
        offline: false,
        forceImport: false,
        importer: { importImages: () => hang, repositoryTags: () => hang },
      },
      pollIntervalMs: 3_600_000,
      debounceMs: 0,
      maxWaitMs: 0,
      passTimeoutMs: 60_000,
      hostAliases: [],
      logger: pino({ level: 'silent' }),
      metrics: new DaemonMetrics(),
    });
    const daemon = new Daemon({ ...daemonOptions(), timers });
    await daemon.start();
    for (let i = 0; i < 50 && daemon.snapshot.passStartedAt === undefined; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(daemon.snapshot.passStartedAt).toBeDefined();
    expect(daemon.health()).toEqual({ ok: true });
    timers.advance(60_000 + 31_000); // past the deadline (the abort is ignored) and its 30 s allowance
    expect(daemon.health().ok).toBe(false);
    expect(daemon.health().reason).toBe('a pass has been running for 91 s, past its deadline');
    void daemon.stop(0);
    // The heartbeat runs in real time; a fake clock that jumps without it is what a stalled event loop looks like.
    const idle = new Daemon({ ...daemonOptions(), timers });
    await idle.start();
    expect(idle.health()).toEqual({ ok: true });
    timers.advance(31_000);
    expect(idle.health()).toEqual({ ok: false, reason: 'the event loop did not tick for 31 s' });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(idle.health()).toEqual({ ok: true });
    await idle.stop(0);
  });
});

describe('which accepted work a landed pass covered', () => {
  it('a hook with no pushes and a push whose imports succeeded are done; a failed import stays, until the bound', async () => {
    const { coverage } = await import('../../src/cli/daemon/journal.js');
    const push = (repository: string) => [{ host: 'r:5000', repository, tag: 'live', digest: undefined }];
    const item = (id: string, pushes: ReturnType<typeof push> | [], attempts = 0) => ({
      id,
      source: 'registry' as const,
      acceptedAt: '2024-05-01T12:00:00Z',
      pushes,
      attempts,
    });
    const imports = [
      { from: 'r:5000/team/ok:live', result: { ok: true } },
      { from: 'r:5000/team/bad:live', result: { ok: false } },
    ];
    const same = (a: string, b: string) => a === b;
    const r = coverage(
      [
        item('git', []),
        item('ok', push('team/ok')),
        item('bad', push('team/bad')),
        item('old', push('team/bad'), 19),
        item('none', push('team/other')),
      ],
      imports,
      same,
      20,
    );
    expect([...r.landed].sort()).toEqual(['git', 'none', 'ok', 'old']);
    expect([...r.failed]).toEqual(['bad']);
    expect(r.givenUp.map((i) => i.id)).toEqual(['old']);
  });
});
