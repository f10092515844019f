/** The scheduler: one alarm at the core's nextDueAt; an injected clock jumps past the interval. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createBareRepo } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { inProcessDaemon } from '../helpers/daemon.js';
import { FakeTimers } from '../support/fake-timers.js';
import { until } from '../helpers/wait.js';

const registryUrl = inject('registryUrl');
const registryHost = inject('registryHost');
const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-schedule-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scheduled imports in the daemon', () => {
  it('a scheduled tag is checked again once its interval has passed, and a new digest lands', async () => {
    await pushImage({ url: registryUrl }, 'sched/app', 'live', buildImage({ seed: 'sched-1' }));
    createBareRepo(projectRoot, 'sched', {
      files: {
        'is.yaml': `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: prod\n  annotations:\n    imagestreams.dev/import-interval: 5m\nspec:\n  tags:\n  - name: live\n    from:\n      kind: DockerImage\n      name: ${registryHost}/sched/app:live\n    importPolicy:\n      insecure: true\n      scheduled: true\n`,
      },
    });
    const timers = new FakeTimers(Date.parse('2024-05-01T12:00:00Z'));
    const { daemon, repo, close } = await inProcessDaemon({ url: `${gitUrl}/sched.git`, work, debounceMs: 10, maxWaitMs: 100, timers });
    try {
      await daemon.start();
      await until('the first pass', async () => daemon.snapshot.passes === 1 && daemon.snapshot.state === 'ready');
      const first = await repo.remoteHead();
      const next = await pushImage({ url: registryUrl }, 'sched/app', 'live', buildImage({ seed: 'sched-2' }));
      // Not due yet: the alarm is set for the interval, and nothing runs before it.
      expect(daemon.snapshot.nextDueAt).toBe(Date.parse('2024-05-01T12:05:00Z'));
      timers.advance(4 * 60_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(daemon.snapshot.passes).toBe(1);
      timers.advance(60_000 + 1000);
      await until('the scheduled pass to commit', async () => (await repo.remoteHead()) !== first);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(path.join(repo.dir, 'is.yaml'), 'utf8')).toContain(`image: ${next}`);
      expect(daemon.snapshot.passes).toBe(2);
    } finally {
      await close();
    }
  });

  it('outside the commit window a pass imports and reports but lands nothing; the change lands when the window opens', async () => {
    const digest = await pushImage({ url: registryUrl }, 'sched/win', 'live', buildImage({ seed: 'sched-win-1' }));
    createBareRepo(projectRoot, 'window', {
      files: {
        'is.yaml': `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: win\n  namespace: prod\nspec:\n  tags:\n  - name: live\n    from:\n      kind: DockerImage\n      name: ${registryHost}/sched/win:live\n    importPolicy:\n      insecure: true\n`,
      },
    });
    // Saturday noon; the window is weekdays 09:00-16:59 (UTC).
    const timers = new FakeTimers(Date.parse('2024-05-04T12:00:00Z'));
    const { daemon, repo, close } = await inProcessDaemon({
      url: `${gitUrl}/window.git`,
      work: path.join(work, 'window'),
      debounceMs: 10,
      maxWaitMs: 100,
      timers,
      commitWindows: ['* 9-16 * * 1-5'],
    });
    try {
      await daemon.start();
      await until('the first pass', async () => daemon.snapshot.passes === 1 && daemon.snapshot.state === 'ready');
      const first = await repo.remoteHead();
      expect(daemon.snapshot.lastPass?.outcome).toBe('nothing-to-do');
      // The next pass is asked for at Monday 09:00, when the window opens, and nothing lands before.
      expect(daemon.snapshot.nextDueAt).toBe(Date.parse('2024-05-06T09:00:00Z'));
      timers.advance(24 * 3_600_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(await repo.remoteHead()).toBe(first);
      timers.advance(21 * 3_600_000);
      await until('the pass in the window to commit', async () => (await repo.remoteHead()) !== first);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(path.join(repo.dir, 'is.yaml'), 'utf8')).toContain(`image: ${digest}`);
    } finally {
      await close();
    }
  });
});
