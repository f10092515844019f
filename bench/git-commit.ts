/**
 * git-commit: commit + push of 1, 100 and 2,000 changed files into a repository of 5,000 files (50 folders of 100)
 * on the local git http-backend, by imagestreams (GitRepo.commitFiles + push: the daemon's clone, which keeps no
 * index and pushes a pack of the objects the commit made, and a local tree, whose index is updated and which pushes
 * with isomorphic-git) against the git CLI (add, commit, push) in the same run. The
 * files are written before the clock starts (writing is the pass's job); each figure is the median of 3 rounds, each
 * round a new commit on top of the last one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitRepo } from '../src/gitsource/repo.js';
import { createBareRepo, GIT_ENV, startGitServer } from '../test/support/git-server.js';

const total = 5000;
const sizes = [1, 100, 2000];
const rounds = 3;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const filePath = (i: number): string => `config/c${Math.floor(i / 100)}/cm${i}.yaml`;
const seedContent = (i: number): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm${i}\ndata:\n  key: value-${i}\n`;

/** The files a round changes: spread over the folders (every `total / n`th file), new content each round. */
function changedFiles(n: number, round: number): Array<{ path: string; content: string }> {
  const step = Math.floor(total / n);
  return Array.from({ length: n }, (_, k) => {
    const i = (k * step) % total;
    return { path: filePath(i), content: `${seedContent(i)}  round: "${n}-${round}"\n` };
  });
}

export async function gitCommitBench(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-git-commit-'));
  const server = await startGitServer({ projectRoot: path.join(work, 'git') });
  const env = { ...process.env, ...GIT_ENV };
  const cli = (args: string[], cwd: string): void => void execFileSync('git', args, { cwd, env, stdio: 'ignore' });
  // The server runs in this process: anything that talks to it must not block the event loop.
  const cliAsync = (args: string[], cwd?: string): Promise<void> =>
    new Promise((resolve, reject) =>
      spawn('git', args, { cwd, env, stdio: 'ignore' }).on('exit', (c) =>
        c === 0 ? resolve() : reject(new Error(`git ${args[0]}: ${c}`)),
      ),
    );
  try {
    const seed = Object.fromEntries(Array.from({ length: total }, (_, i) => [filePath(i), seedContent(i)]));
    const kinds = ['cli', 'daemon', 'local'] as const;
    for (const kind of kinds) createBareRepo(server.projectRoot, kind, { files: seed });
    const daemon = new GitRepo({
      dir: path.join(work, 'daemon'),
      url: `${server.url}/daemon.git`,
      branch: 'main',
      author: { name: 'b', email: 'b@x' },
      maintainIndex: false,
    });
    const local = new GitRepo({
      dir: path.join(work, 'local'),
      url: `${server.url}/local.git`,
      branch: 'main',
      author: { name: 'b', email: 'b@x' },
    });
    await daemon.ensureCloned();
    await local.ensureCloned();
    const cliDir = path.join(work, 'cli-clone');
    await cliAsync(['clone', '-q', '--depth', '1', `${server.url}/cli.git`, cliDir]);

    const ours = async (repo: GitRepo, files: Array<{ path: string; content: string }>): Promise<[number, number]> => {
      for (const f of files) writeFileSync(path.join(repo.dir, f.path), f.content);
      const t0 = performance.now();
      await repo.commitFiles(files, 'bench');
      const t1 = performance.now();
      await repo.push();
      return [t1 - t0, performance.now() - t1];
    };
    const theirs = async (files: Array<{ path: string; content: string }>): Promise<[number, number]> => {
      for (const f of files) writeFileSync(path.join(cliDir, f.path), f.content);
      const t0 = performance.now();
      cli(['add', '-A'], cliDir);
      cli(['commit', '-qm', 'bench'], cliDir);
      const t1 = performance.now();
      await cliAsync(['push', '-q', 'origin', 'main'], cliDir);
      return [t1 - t0, performance.now() - t1];
    };

    console.log(`git-commit (commit + push into a repository of ${total} files; median of ${rounds})`);
    console.log(`  changed  git CLI           daemon clone (no index)            local tree (index updated)`);
    for (const n of sizes) {
      const times: Record<(typeof kinds)[number], { total: number[]; commit: number[]; push: number[] }> = {
        cli: { total: [], commit: [], push: [] },
        daemon: { total: [], commit: [], push: [] },
        local: { total: [], commit: [], push: [] },
      };
      for (let r = 0; r < rounds; r += 1) {
        const files = changedFiles(n, r);
        const record = (kind: (typeof kinds)[number], [commit, push]: [number, number]): void => {
          times[kind].commit.push(commit);
          times[kind].push.push(push);
          times[kind].total.push(commit + push);
        };
        record('cli', await theirs(files));
        record('daemon', await ours(daemon, files));
        record('local', await ours(local, files));
      }
      const base = median(times.cli.total);
      const show = (kind: (typeof kinds)[number]): string => {
        const t = times[kind];
        const ms = median(t.total);
        const detail = `${ms.toFixed(0)} ms (${median(t.commit).toFixed(0)}+${median(t.push).toFixed(0)})`;
        return kind === 'cli' ? detail.padEnd(18) : `${detail} ${(ms / base).toFixed(2)}x`.padEnd(35);
      };
      console.log(`  ${String(n).padStart(7)}  ${show('cli')}${show('daemon')}${show('local')}`);
    }
    console.log(`  (commit+push in ms; the ratio is against the git CLI)`);
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
