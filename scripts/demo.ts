/**
 * The demo (README's first command): the daemon, `imagestreams run`, doing its job end to end on 127.0.0.1.
 *
 * A throwaway registry stands in for docker.io (a registry mirror) and sends its notifications to the daemon; a local
 * Git server (git http-backend) holds a repository with a copy of examples/. The daemon follows that repository,
 * lands its first pass as a commit, and when a new image is pushed to a tag the example follows, lands that change
 * as a new commit, shown with the git CLI. Then everything is stopped and removed. Every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBareRepo, startGitServer } from '../test/support/git-server.js';
import type { GitServer } from '../test/support/git-server.js';
import { buildImage, buildMultiArch } from '../test/support/images.js';
import { pushImage, pushIndex } from '../test/support/push.js';
import { startRegistry } from '../test/support/registry.js';
import type { Registry } from '../test/support/registry.js';
import { block, git, heading, httpGet, note, reservePort, seconds, shell, startDaemon, waitFor } from './demo/support.js';
import type { DaemonChild } from './demo/support.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-demo-'));
let registry: Registry | undefined;
let gitServer: GitServer | undefined;
let daemon: DaemonChild | undefined;
let failed = false;

/** Ctrl-C (or a SIGTERM): stop what was started and remove what was made, then leave. */
// (`on`, not `once`: test/support/processes.ts re-raises the signal once no listener is left, which would end this
// process before the clean-up.)
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\ndemo: ${signal}, stopping everything\n`);
    void cleanUp().finally(() => process.exit(code));
  });
}

/** Stop the daemon (if still running), the registry and the Git server; remove every directory. Returns problems. */
async function cleanUp(): Promise<{ dirs: string[]; problems: string[] }> {
  const problems: string[] = [];
  if (daemon && daemon.exit() === undefined) {
    const end = await daemon.stop(15_000);
    problems.push(
      `imagestreams run had to be stopped during clean-up${end.killed ? ' and did not stop within 15 s of SIGTERM (killed)' : ''}`,
    );
  }
  const dirs = [work, ...(registry ? [registry.dir] : []), ...(gitServer ? [gitServer.projectRoot] : [])];
  await registry?.stop();
  await gitServer?.stop();
  rmSync(work, { recursive: true, force: true });
  for (const d of dirs) if (existsSync(d)) problems.push(`${d} could not be removed`);
  registry = undefined;
  gitServer = undefined;
  return { dirs, problems };
}

try {
  // ── 1. the registry ────────────────────────────────────────────────────────────────────────────────────────────
  // The daemon's port is chosen first: the registry's configuration names the endpoint its notifications go to.
  const daemonPort = await reservePort();
  const daemonListen = `127.0.0.1:${daemonPort.port}`;
  const hookSecret = randomBytes(16).toString('hex');
  const hookSecretFile = path.join(work, 'registry-hook-secret');
  writeFileSync(hookSecretFile, `${hookSecret}\n`, { mode: 0o600 });
  registry = await startRegistry({
    notifications: {
      name: 'imagestreams',
      url: `http://${daemonListen}/hooks/registry`,
      headers: { Authorization: `Bearer ${hookSecret}` },
      timeout: '2s',
      threshold: 1,
      backoff: '1s',
    },
  });
  heading(`A throwaway registry on ${registry.host} (docker-registry), standing in for docker.io`);
  note(`its notifications go to the daemon: POST http://${daemonListen}/hooks/registry (Authorization: Bearer <secret>)`);
  await pushImage(
    registry,
    'library/ruby',
    '3.3',
    buildImage({ seed: 'demo-ruby-3.3.6', labels: { 'org.opencontainers.image.version': '3.3.6' }, cmd: ['irb'] }),
  );
  await pushImage(
    registry,
    'library/ruby',
    '3.2',
    buildImage({ seed: 'demo-ruby-3.2.5', labels: { 'org.opencontainers.image.version': '3.2.5' }, cmd: ['irb'] }),
  );
  await pushIndex(
    registry,
    'library/nginx',
    'stable',
    buildMultiArch(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      { format: 'oci', seed: 'demo-nginx' },
    ),
  );
  note('pushed the images the example follows: docker.io/library/ruby:3.3 (3.3.6), ruby:3.2, a multi-arch nginx:stable');

  // ── 2. the Git server ──────────────────────────────────────────────────────────────────────────────────────────
  gitServer = await startGitServer();
  createBareRepo(gitServer.projectRoot, 'deploy', {
    fromDir: path.join(root, 'examples'),
    branch: 'main',
    message: 'Add the example ImageStreams and workloads',
  });
  const repoUrl = gitServer.repoUrl('deploy');
  heading(`A Git server on 127.0.0.1:${gitServer.port} (git http-backend), holding a copy of examples/`);
  note(`${repoUrl}, branch main: streams/ruby.yaml, streams/nginx.json, apps/web.yaml`);
  const seed = await git(['--git-dir', path.join(gitServer.projectRoot, 'deploy.git'), 'rev-parse', 'refs/heads/main']);

  // ── 3. the daemon ──────────────────────────────────────────────────────────────────────────────────────────────
  const config = path.join(work, 'imagestreams.yaml');
  writeFileSync(
    config,
    `# docker.io is served by the local registry\nregistries:\n  mirrors:\n    - registry: docker.io\n      mirror: "${registry.host}"\n      insecure: true\ncacheDir: "${path.join(work, 'cache')}"\n`,
  );
  const args = [
    '--repo-url',
    repoUrl,
    '--branch',
    'main',
    '--workdir',
    path.join(work, 'checkout'),
    '--config',
    config,
    '--registry-hook-secret-file',
    hookSecretFile,
    '--host-alias',
    `${registry.host}=docker.io`,
    '--debounce',
    '1s',
    '--poll-interval',
    '10s',
  ];
  heading(`Starting the daemon on ${daemonListen}`);
  shell(
    `imagestreams run --listen ${daemonListen} ${args.map((a) => (a.startsWith(work) ? `$DEMO/${path.relative(work, a)}` : a)).join(' ')}`,
  );
  note(`($DEMO is ${work}; the configuration mirrors docker.io to ${registry.host}, and --host-alias says a`);
  note(` notification from ${registry.host} is about docker.io; its log is JSON on stderr, shown abridged here;`);
  note(' the registry delivers its notifications of the pushes above as soon as the daemon listens)');
  await daemonPort.release();
  daemon = startDaemon(root, daemonListen, args, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work }, path.join(work, 'daemon.log'));
  const d = daemon;
  const exitedEarly = (): string | undefined => {
    const e = d.exit();
    return e ? `imagestreams run exited (code ${e.code ?? 'none'}, signal ${e.signal ?? 'none'})` : undefined;
  };
  const t3 = Date.now();
  await waitFor('GET /healthz to answer 200', async () => ((await httpGet(`${d.url}/healthz`))?.status === 200 ? true : undefined), {
    timeoutMs: 20_000,
    abort: exitedEarly,
    detail: () => d.tail(),
  });
  let lastReadyz = '';
  await waitFor(
    'GET /readyz to answer 200 (the first pass succeeded)',
    async () => {
      const r = await httpGet(`${d.url}/readyz`);
      if (r) lastReadyz = `${r.status} ${r.body}`;
      return r?.status === 200 ? true : undefined;
    },
    {
      timeoutMs: Math.max(5_000, t3 + 40_000 - Date.now()),
      abort: exitedEarly,
      detail: () => `last /readyz answer: ${lastReadyz || '(none)'}\n${d.tail()}`,
    },
  );
  d.echo(false);
  note(`GET /readyz: ${lastReadyz} (${seconds(Date.now() - t3)} after start)`);
  const bare = path.join(gitServer.projectRoot, 'deploy.git');
  const first = await git(['--git-dir', bare, 'rev-parse', 'refs/heads/main']);
  if (first === seed)
    throw new Error(
      `the daemon is ready but landed no commit on ${repoUrl} (main is still the seed commit ${seed.slice(0, 7)})\n${d.tail()}`,
    );
  const clone = path.join(work, 'clone');
  await git(['clone', '-q', repoUrl, clone]);
  note('the first pass imported every tag, wrote status and workload images, and pushed one commit:');
  shell(`git clone ${repoUrl} && git log --stat -1`);
  block(await git(['log', '--stat', '-1', '--format=commit %H%nAuthor: %an <%ae>%n%n%w(0,4,4)%B'], clone));

  // ── 4. a new image ─────────────────────────────────────────────────────────────────────────────────────────────
  heading('Pushing a new docker.io/library/ruby:3.3 (3.3.7) to the registry');
  const t4 = Date.now();
  d.echo(true);
  const digest = await pushImage(
    registry,
    'library/ruby',
    '3.3',
    buildImage({
      seed: 'demo-ruby-3.3.7',
      labels: { 'org.opencontainers.image.version': '3.3.7' },
      cmd: ['irb'],
      created: new Date().toISOString(),
    }),
  );
  note(`pushed docker.io/library/ruby:3.3 = ${digest}`);
  note('ruby:3.3 is followed by streams/ruby.yaml (and ruby:latest tracks it; the web Deployment uses ruby:latest)');
  note('the registry notifies the daemon; waiting for the commit it lands on the remote');
  const landed = await waitFor(
    `a commit on ${repoUrl} whose streams/ruby.yaml holds ${digest}`,
    async () => {
      const head = await git(['--git-dir', bare, 'rev-parse', 'refs/heads/main']);
      if (head === first) return undefined;
      const stream = await git(['--git-dir', bare, 'show', `${head}:streams/ruby.yaml`]);
      return stream.includes(digest) ? head : undefined;
    },
    { timeoutMs: 20_000, abort: exitedEarly, detail: () => d.tail() },
  );
  d.echo(false);
  note(`landed ${landed.slice(0, 7)} on main, ${seconds(Date.now() - t4)} after the push:`);
  await git(['pull', '-q', '--ff-only'], clone);
  const commits = (await git(['rev-list', `${first}..${landed}`], clone)).split('\n').filter(Boolean);
  shell(commits.length === 1 ? 'git pull && git log --stat -1' : `git pull && git log --stat ${first.slice(0, 7)}..`);
  block(
    await git(
      ['log', '--stat', commits.length === 1 ? '-1' : `${first}..${landed}`, '--format=commit %H%nAuthor: %an <%ae>%n%n%w(0,4,4)%B'],
      clone,
    ),
  );
  shell('git show --format= HEAD');
  block(await git(['show', '--format=', landed], clone));

  // ── 5. stop ────────────────────────────────────────────────────────────────────────────────────────────────────
  heading('Stopping everything');
  const pid = d.proc.pid;
  const end = await d.stop(10_000);
  if (end.killed) throw new Error(`imagestreams run (pid ${pid}) did not stop within 10 s of SIGTERM; it was killed\n${d.tail()}`);
  note(`imagestreams run (pid ${pid}): SIGTERM, exit code ${end.code ?? `none (signal ${end.signal ?? '?'})`}`);
  if (end.code !== 0) throw new Error(`imagestreams run exited with ${end.code ?? end.signal} after SIGTERM (expected 0)\n${d.tail()}`);
  const registryPid = registry.pid;
  const { dirs: removed, problems } = await cleanUp();
  if (problems.length > 0) throw new Error(problems.join('\n'));
  note(`registry (pid ${registryPid}) and Git server stopped`);
  note(`removed ${removed.join(', ')}`);
  note(`done in ${seconds(Date.now() - started)}; the same pass runs once, from CI, as \`imagestreams reconcile --commit --push\``);
} catch (err) {
  failed = true;
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  const problems: string[] = [];
  try {
    problems.push(...(await cleanUp()).problems);
  } catch (err) {
    problems.push(`clean-up failed: ${String(err)}`);
  }
  for (const p of problems) process.stderr.write(`demo: ${p}\n`);
  process.exitCode = failed || problems.length > 0 ? 1 : 0;
}
