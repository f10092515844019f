/**
 * The README's first command runs this demo: the daemon (`imagestreams run`) follows a repository on a local Git
 * server, lands its first pass, and lands a new commit when a new image is pushed to a tag the example follows (the
 * registry notifies it). It must work end to end, and leave nothing running and no directory behind.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/demo.ts'],
      { cwd: root, timeout: 110_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `git show` section of one file: from its `diff --git` line to the next one. */
function fileDiff(text: string, file: string): string {
  const start = text.indexOf(`diff --git a/${file} b/${file}`);
  if (start < 0) return '';
  const next = text.indexOf('diff --git ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}

describe('npm run demo', () => {
  it('shows the daemon landing its first pass, then the commit for a newly pushed image, and stops everything', async () => {
    const { code, stdout, stderr } = await runDemo();
    expect(code, `the demo failed; its stderr:\n${stderr}\nits stdout:\n${stdout}`).toBe(0);
    expect(stderr).not.toMatch(/^demo/m);

    // Headed steps, in order.
    const headings = [...stdout.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
    expect(headings).toEqual([1, 2, 3, 4, 5]);

    // The daemon got ready and its first pass landed a commit importing every tag of the example.
    expect(stdout).toMatch(/GET \/readyz: 200/);
    expect(stdout).toMatch(/imagestreams: 3 tags updated, 3 workload images/);

    // A new image was pushed to ruby:3.3 ...
    const digest = /pushed docker\.io\/library\/ruby:3\.3 = (sha256:[a-f0-9]{64})/.exec(stdout)?.[1];
    expect(digest).toBeDefined();
    // ... and the commit that landed on the remote (shown from a clone with the git CLI) holds it.
    const afterPush = stdout.slice(stdout.indexOf(`= ${digest}`));
    const landed = /landed ([0-9a-f]{7}) on main/.exec(afterPush)?.[1];
    expect(landed).toBeDefined();
    expect(afterPush).toMatch(new RegExp(`^\\s+commit ${landed}[0-9a-f]{33}$`, 'm'));
    expect(afterPush).toMatch(/imagestreams: 1 tag updated, 1 workload image/);
    const escaped = digest ?? 'no digest'; // hex and a colon: nothing to escape in a RegExp
    const stream = fileDiff(afterPush, 'streams/ruby.yaml');
    expect(stream).toMatch(new RegExp(`^\\s+\\+\\s+dockerImageReference: docker\\.io/library/ruby@${escaped}$`, 'm'));
    expect(stream).toMatch(new RegExp(`^\\s+\\+\\s+image: ${escaped}$`, 'm'));
    // The workload that follows ruby:latest (which tracks ruby:3.3) moved to the new image; the one on 3.2 did not.
    const workload = fileDiff(afterPush, 'apps/web.yaml');
    expect(workload).toMatch(new RegExp(`^\\s+\\+\\s+image: docker\\.io/library/ruby@${escaped}$`, 'm'));
    expect(workload.split('\n').filter((l) => /^\s+\+\s+image: /.test(l))).toHaveLength(1);

    // The daemon stopped on SIGTERM with exit code 0; nothing the demo started is left running or on disk.
    const daemonPid = Number(/imagestreams run \(pid (\d+)\): SIGTERM, exit code 0/.exec(stdout)?.[1]);
    const registryPid = Number(/registry \(pid (\d+)\) and Git server stopped/.exec(stdout)?.[1]);
    expect(daemonPid).toBeGreaterThan(0);
    expect(registryPid).toBeGreaterThan(0);
    expect(alive(daemonPid)).toBe(false);
    expect(alive(registryPid)).toBe(false);
    const removed = /^\s+removed (.+)$/m.exec(stdout)?.[1]?.split(', ') ?? [];
    expect(removed.length).toBeGreaterThanOrEqual(3);
    expect(removed.filter((d) => existsSync(d))).toEqual([]);

    // Well under a minute.
    const took = Number(/done in ([\d.]+) s/.exec(stdout)?.[1]);
    expect(took).toBeGreaterThan(0);
    expect(took).toBeLessThan(60);
  }, 130_000);
});
