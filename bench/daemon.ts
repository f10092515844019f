/**
 * daemon: push-to-commit latency of the daemon at its default settings (p50/p99 over 50 registry pushes, each notified; the
 * Git server in a process of its own) on a repository of
 * 5,000 files, and commit+push of 100 changed files by imagestreams (isomorphic-git, tree built from HEAD) against
 * the git CLI doing the same (add, commit, push) in the same run.
 *
 * A push ends when the commit is visible on the remote: the server's post-receive hook writes the time, once the
 * branch is updated. (Asking the server for the branch every few milliseconds instead started a CGI process each
 * time, which took CPU from the daemon and added half a poll to every figure.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHttp } from '../src/cli/daemon/http.js';
import { GitRepo } from '../src/gitsource/repo.js';
import { createBareRepo } from '../test/support/git-server.js';
import { buildImage } from '../test/support/images.js';
import { pushImage } from '../test/support/push.js';
import { startRegistry } from '../test/support/registry.js';
import { inProcessDaemon } from '../test/helpers/daemon.js';
import { gitServerProcess } from './git-server-spawn.js';

const files = 5000;
const streams = 10;
const pushes = 50;
const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

export async function daemonBench(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-daemon-'));
  const registry = await startRegistry();
  // The Git server runs in its own process, so its CGI spawns do not stall the daemon's event loop.
  const server = await gitServerProcess(path.join(work, 'git'));
  try {
    const seed: Record<string, string> = {};
    for (let i = 0; i < streams; i += 1) {
      seed[`streams/s${i}.yaml`] =
        `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: s${i}\n  namespace: bench\nspec:\n  tags:\n  - name: live\n    from:\n      kind: DockerImage\n      name: ${registry.host}/bench/s${i}:live\n    importPolicy:\n      insecure: true\n`;
      await pushImage(registry, `bench/s${i}`, 'live', buildImage({ seed: `bench-${i}-0` }));
    }
    for (let i = 0; i < files - streams; i += 1)
      seed[`config/c${Math.floor(i / 100)}/cm${i}.yaml`] =
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm${i}\ndata:\n  key: value-${i}\n`;
    const bare = createBareRepo(server.projectRoot, 'big', { files: seed });
    // The moment each push lands on the server (epoch milliseconds, one line per push).
    const landed = path.join(work, 'landed');
    writeFileSync(path.join(bare, 'hooks', 'post-receive'), `#!/bin/sh\necho $(($(date +%s%N) / 1000000)) >> '${landed}'\n`);
    chmodSync(path.join(bare, 'hooks', 'post-receive'), 0o755);
    const landings = (): number[] => (existsSync(landed) ? readFileSync(landed, 'utf8').split('\n').filter(Boolean).map(Number) : []);
    const nextLanding = async (count: number): Promise<number> => {
      for (;;) {
        const all = landings();
        if (all.length > count) return all[count] as number;
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const url = `${server.url}/big.git`;
    const secret = 'bench';
    const { daemon, metrics, logger, close } = await inProcessDaemon({
      url,
      work,
      debounceMs: 0, // the daemon's default
      maxWaitMs: 15_000,
      logLevel: 'warn',
    });
    const http = await startHttp(daemon, metrics, { host: '127.0.0.1', port: 0, registryHookSecret: secret }, logger);
    const address = http.address() as { port: number };
    const t0 = Date.now();
    await daemon.start();
    const firstPassMs = (await nextLanding(0)) - t0;
    const latencies: number[] = [];
    for (let n = 1; n <= pushes; n += 1) {
      const s = n % streams;
      await pushImage(registry, `bench/s${s}`, 'live', buildImage({ seed: `bench-${s}-${n}` }));
      const landedBefore = landings().length;
      const start = Date.now();
      await fetch(`http://127.0.0.1:${address.port}/hooks/registry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}` },
        body: JSON.stringify({
          events: [{ action: 'push', target: { repository: `bench/s${s}`, tag: 'live' }, request: { host: registry.host } }],
        }),
      });
      latencies.push((await nextLanding(landedBefore)) - start);
    }
    await close();
    await new Promise<void>((r) => http.close(() => r()));

    // Commit + push of 100 changed files: imagestreams vs the git CLI, same content, same server.
    createBareRepo(server.projectRoot, 'hundred', {
      files: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f/${i}.yaml`, `a: ${i}\n`])),
    });
    const ours = new GitRepo({
      dir: path.join(work, 'ours'),
      url: `${server.url}/hundred.git`,
      branch: 'main',
      author: { name: 'b', email: 'b@x' },
    });
    await ours.ensureCloned();
    const changed = Array.from({ length: 100 }, (_, i) => ({ path: `f/${i}.yaml`, content: `a: ${i}\nb: changed\n` }));
    for (const c of changed) writeFileSync(path.join(ours.dir, c.path), c.content);
    const o0 = performance.now();
    await ours.commitFiles(changed, 'bench');
    await ours.push();
    const oursMs = performance.now() - o0;
    createBareRepo(server.projectRoot, 'hundred-cli', {
      files: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f/${i}.yaml`, `a: ${i}\n`])),
    });
    const cliDir = path.join(work, 'cli');
    const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
    const git = (args: string[], cwd?: string): void => void execFileSync('git', args, { cwd, env, stdio: 'ignore' });
    // The CLI talks to the server in a child process; the server runs in this one, so it must not block: use spawn.
    const { spawn } = await import('node:child_process');
    const gitAsync = (args: string[], cwd?: string): Promise<void> =>
      new Promise((resolve, reject) =>
        spawn('git', args, { cwd, env, stdio: 'ignore' }).on('exit', (c) =>
          c === 0 ? resolve() : reject(new Error(`git ${args[0]} ${c}`)),
        ),
      );
    await gitAsync(['clone', '-q', '--depth', '1', `${server.url}/hundred-cli.git`, cliDir]);
    mkdirSync(path.join(cliDir, 'f'), { recursive: true });
    for (const c of changed) writeFileSync(path.join(cliDir, c.path), c.content);
    const c0 = performance.now();
    git(['add', '-A'], cliDir);
    git(['commit', '-qm', 'bench'], cliDir);
    await gitAsync(['push', '-q', 'origin', 'main'], cliDir);
    const cliMs = performance.now() - c0;

    console.log(`daemon (${files} files in the repository, ${streams} streams, ${pushes} notified pushes)`);
    console.log(`  first pass (clone, import all, commit, push)  ${firstPassMs.toFixed(0)} ms`);
    console.log(`  push-to-commit latency p50                    ${percentile(latencies, 50).toFixed(0)} ms`);
    console.log(`  push-to-commit latency p99                    ${percentile(latencies, 99).toFixed(0)} ms`);
    console.log(`commit+push of 100 changed files`);
    console.log(`  git CLI (add, commit, push)                   ${cliMs.toFixed(0)} ms`);
    console.log(`  imagestreams (tree from HEAD, isomorphic-git) ${oursMs.toFixed(0)} ms  ${(oursMs / cliMs).toFixed(2)}x the git CLI`);
  } finally {
    await server.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
