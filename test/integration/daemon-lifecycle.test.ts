/**
 * The daemon's lifecycle as a child process: what it checks before it listens (exit 2, a message that says what to
 * fix, no stack), how it reports a remote it cannot use (running, stalled or failing, the reason on /readyz), and
 * that SIGTERM stops it within the grace period at every stage (while stalled, during a pass).
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { createBareRepo, startGitServer } from '../support/git-server.js';
import { startProcess } from '../support/processes.js';
import type { ManagedProcess } from '../support/processes.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { startSwitchProxy } from '../support/switch-proxy.js';
import { until } from '../helpers/wait.js';

const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-lifecycle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function spawnDaemon(
  args: readonly string[],
  listen?: string,
): { proc: ManagedProcess; exit: Promise<number | null>; url: string | undefined } {
  n += 1;
  const dir = path.join(work, `d${n}`);
  const proc = startProcess(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'scripts/cli.ts'),
      'run',
      ...(listen ? ['--listen', listen] : []),
      '--workdir',
      path.join(dir, 'wd'),
      '--cache-dir',
      path.join(dir, 'cache'),
      ...args,
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
      logFile: path.join(work, `d${n}.log`),
    },
  );
  const exit = new Promise<number | null>((resolve) => proc.child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { proc, exit, url: listen ? `http://${listen}` : undefined };
}

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
    return { status: res.statusCode, body: await res.body.text() };
  } catch {
    return undefined;
  }
}

/** SIGTERM, then the exit code and how long it took. */
async function terminate(d: { proc: ManagedProcess; exit: Promise<number | null> }): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  d.proc.child.kill('SIGTERM');
  const code = await Promise.race([d.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
  if (code === 'hung') {
    d.proc.child.kill('SIGKILL');
    throw new Error(`the daemon did not stop within 15 s of SIGTERM:\n${d.proc.log()}`);
  }
  return { code, ms: Date.now() - t0 };
}

const noStack = (log: string): void => {
  expect(log).not.toMatch(/internal error|This is a bug|\n\s+at /);
};

describe('imagestreams run: checks before listening exit 2 with what to fix', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'a listen address that is not HOST:PORT',
      ['--repo-url', 'http://127.0.0.1:9/x.git', '--listen', 'nonsense:port'],
      /--listen: "nonsense:port" is not HOST:PORT/,
    ],
    [
      'a Git credentials file that does not exist',
      ['--repo-url', 'http://127.0.0.1:9/x.git', '--git-credentials', '/nonexistent/creds'],
      /cannot read the Git credentials file \/nonexistent\/creds: ENOENT/,
    ],
    [
      'a registry auth file that does not exist',
      ['--repo-url', 'http://127.0.0.1:9/x.git', '--auth-file', '/nonexistent/auth.json'],
      /cannot read credentials file \/nonexistent\/auth\.json: ENOENT/,
    ],
    [
      'a hook secret file that does not exist',
      ['--repo-url', 'http://127.0.0.1:9/x.git', '--registry-hook-secret-file', '/nonexistent/secret'],
      /cannot read the registry hook secret file/,
    ],
    [
      'an unknown log level',
      ['--repo-url', 'http://127.0.0.1:9/x.git', '--log-level', 'loud'],
      /--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent/,
    ],
    [
      'a duration that does not parse',
      ['--repo-url', 'http://127.0.0.1:9/x.git', '--pass-timeout', 'soon'],
      /--pass-timeout: "soon" is not a duration/,
    ],
    [
      'a remote that is not http(s)',
      ['--repo-url', 'ssh://git@example.com/x.git'],
      /only http:\/\/ and https:\/\/ Git remotes are supported/,
    ],
    ['neither --repo-url nor --repo', [], /give exactly one of --repo-url URL/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}`, async () => {
      const port = await freePort();
      const d = spawnDaemon(args, args.includes('--listen') ? undefined : `127.0.0.1:${port}`);
      const code = await Promise.race([d.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      if (code === 'hung') d.proc.child.kill('SIGKILL');
      expect(code).toBe(2);
      expect(d.proc.log()).toMatch(message);
      noStack(d.proc.log());
      // Nothing ever listened.
      expect(await get(`http://127.0.0.1:${port}/healthz`)).toBeUndefined();
    });
  }

  it('a listen address already in use', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const d = spawnDaemon(['--repo-url', 'http://127.0.0.1:9/x.git'], `127.0.0.1:${port}`);
      expect(await d.exit).toBe(2);
      expect(d.proc.log()).toMatch(
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use; choose another --listen`),
      );
      noStack(d.proc.log());
    } finally {
      blocker.close();
    }
  });
});

describe('imagestreams run: a remote it cannot use is reported, not a crash', () => {
  it('an unreachable remote: live, not ready with the reason, and SIGTERM stops it', async () => {
    const port = await freePort();
    const d = spawnDaemon(['--repo-url', 'http://127.0.0.1:9/none.git', '--grace-period', '2s'], `127.0.0.1:${port}`);
    const ready = await until('/readyz to give the reason', async () => {
      const r = await get(`${d.url}/readyz`);
      return r && /git-unavailable/.test(r.body) ? r : undefined;
    });
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(
      /^not ready: (starting|failing) \(git-unavailable\): clone http:\/\/127\.0\.0\.1:9\/none\.git: .*ECONNREFUSED/,
    );
    expect((await get(`${d.url}/healthz`))?.status).toBe(200);
    const status = JSON.parse((await get(`${d.url}/status`))?.body ?? '{}') as { consecutiveFailures?: number; nextRetryAt?: number };
    expect(status.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(typeof status.nextRetryAt).toBe('number');
    const { code, ms } = await terminate(d);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    noStack(d.proc.log());
  });

  it('a transient failure during the first clone (one 503) is retried and the clone completes', async () => {
    createBareRepo(projectRoot, 'flaky-clone', { files: { 'README.md': 'x\n' } });
    const proxy = await startSwitchProxy(gitUrl);
    proxy.failNext(1); // the first request of the first clone is answered 503
    try {
      const port = await freePort();
      const d = spawnDaemon(['--repo-url', `${proxy.url}/flaky-clone.git`], `127.0.0.1:${port}`);
      const ready = await until('the daemon to become ready after the retry', async () => {
        const r = await get(`${d.url}/readyz`);
        return r?.status === 200 ? r : undefined;
      });
      expect(ready.body).toMatch(/^ready/);
      expect(d.proc.log()).toMatch(/"code":"git-unavailable"/);
      expect((await terminate(d)).code).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('refused credentials: stalled with the reason; the password in --repo-url is never printed', async () => {
    const server = await startGitServer({ users: { bot: 'right-password' } });
    createBareRepo(server.projectRoot, 'private', { files: { 'README.md': 'x\n' } });
    try {
      const port = await freePort();
      const url = new URL(`${server.url}/private.git`);
      url.username = 'bot';
      url.password = 'wrong-s3cret-pw';
      const d = spawnDaemon(['--repo-url', url.toString()], `127.0.0.1:${port}`);
      const ready = await until('/readyz to say stalled', async () => {
        const r = await get(`${d.url}/readyz`);
        return r && /stalled/.test(r.body) ? r : undefined;
      });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatch(
        /^not ready: stalled \(git-auth\): clone http:\/\/127\.0\.0\.1:\d+\/private\.git: the Git server refused the credentials/,
      );
      const log = d.proc.log();
      expect(log).toMatch(/stalled until this is fixed/);
      expect((await terminate(d)).code).toBe(0);
      expect(d.proc.log()).not.toContain('wrong-s3cret-pw');
      expect(ready.body).not.toContain('wrong-s3cret-pw');

      // The right password in the URL works, and is not printed either.
      url.password = 'right-password';
      const ok = spawnDaemon(['--repo-url', url.toString()], `127.0.0.1:${await freePort()}`);
      await until('the daemon with the right credentials to be ready', async () =>
        (await get(`${ok.url}/readyz`))?.status === 200 ? true : undefined,
      );
      expect((await terminate(ok)).code).toBe(0);
      expect(ok.proc.log()).not.toContain('right-password');
      expect(ok.proc.log()).toMatch(/"repo":"http:\/\/127\.0\.0\.1:\d+\/private\.git"/);
    } finally {
      await server.stop();
    }
  });

  it('a repository that does not exist: stalled (git-not-found)', async () => {
    const port = await freePort();
    const d = spawnDaemon(['--repo-url', `${gitUrl}/does-not-exist.git`], `127.0.0.1:${port}`);
    const ready = await until('/readyz to say stalled', async () => {
      const r = await get(`${d.url}/readyz`);
      return r && /stalled/.test(r.body) ? r : undefined;
    });
    expect(ready.body).toMatch(/^not ready: stalled \(git-not-found\)/);
    expect((await terminate(d)).code).toBe(0);
  });

  it('SIGTERM during a pass that hangs on the Git server: the pass is aborted after the grace period', async () => {
    const hang = await startScriptedServer();
    hang.on('GET /*', () => {
      // never answer
    });
    try {
      const port = await freePort();
      const d = spawnDaemon(['--repo-url', `${hang.url}/slow.git`, '--grace-period', '1s'], `127.0.0.1:${port}`);
      await until('the first pass to start', async () => (/"msg":"pass started"/.test(d.proc.log()) ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      const { code, ms } = await terminate(d);
      // Aborted at the end of the grace period: the Git request follows the pass's AbortSignal, so it ends at once.
      expect(code).toBe(0);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(6_000);
      expect(d.proc.log()).toMatch(/"code":"stopped"/);
    } finally {
      await hang.stop();
    }
  });
});

/** A registry that takes every request and never answers, and a repository whose stream imports from it. */
async function hungRegistry(repo: string): Promise<{ hang: Awaited<ReturnType<typeof startScriptedServer>>; asked: () => number }> {
  const hang = await startScriptedServer();
  let asked = 0;
  hang.on('GET /*', () => {
    asked += 1; // never answer
  });
  createBareRepo(projectRoot, repo, {
    files: {
      'is.yaml': `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\nspec:\n  tags:\n  - name: live\n    from:\n      kind: DockerImage\n      name: ${hang.host}/team/app:live\n    importPolicy:\n      insecure: true\n`,
    },
  });
  return { hang, asked: () => asked };
}

describe('imagestreams run: a registry that hangs', () => {
  it('SIGTERM during a pass stuck on a registry: the import follows the abort and the daemon stops cleanly', async () => {
    const { hang, asked } = await hungRegistry('hung-registry');
    try {
      const d = spawnDaemon(['--repo-url', `${gitUrl}/hung-registry.git`, '--grace-period', '1s'], `127.0.0.1:${await freePort()}`);
      await until('the import to be in flight', async () => (asked() > 0 ? true : undefined));
      const { code, ms } = await terminate(d);
      expect(code).toBe(0);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(4_000);
      expect(d.proc.log()).toMatch(/"code":"stopped"/);
      expect(d.proc.log()).toMatch(/"msg":"stopped"/);
    } finally {
      await hang.stop();
    }
  });
});

describe('imagestreams run: every pass has a deadline', () => {
  it('a pass stuck on a registry past --pass-timeout is aborted, reported with its code, and retried', async () => {
    const { hang, asked } = await hungRegistry('deadline');
    try {
      const d = spawnDaemon(['--repo-url', `${gitUrl}/deadline.git`, '--pass-timeout', '1s'], `127.0.0.1:${await freePort()}`);
      const ready = await until('/readyz to report the deadline', async () => {
        const r = await get(`${d.url}/readyz`);
        return r && /pass-timeout/.test(r.body) ? r : undefined;
      });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatch(/the pass ran longer than its deadline \(1 s, --pass-timeout\)/);
      await until('a retry that asks the registry again', async () => (asked() >= 2 ? true : undefined));
      expect((await get(`${d.url}/healthz`))?.status).toBe(200);
      expect((await terminate(d)).code).toBe(0);
    } finally {
      await hang.stop();
    }
  });
});

describe('imagestreams run: SIGTERM at any moment of start-up', () => {
  for (const delay of [100, 400, 800]) {
    it(`SIGTERM ${delay} ms after the process starts: it is gone within seconds, nothing left listening`, async () => {
      const port = await freePort();
      const d = spawnDaemon(['--repo-url', 'http://127.0.0.1:9/none.git'], `127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, delay));
      const { code, ms } = await terminate(d);
      // Before our handlers are installed Node's default ends the process on the signal (-1 here); after, we exit 0.
      expect([0, -1]).toContain(code);
      expect(ms).toBeLessThan(5_000);
      expect(await get(`http://127.0.0.1:${port}/healthz`)).toBeUndefined();
      noStack(d.proc.log());
    });
  }
});
