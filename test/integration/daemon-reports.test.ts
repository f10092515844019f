/**
 * What the daemon reports is what it did: conflicting triggers are reported and the workload never flips; a file
 * that cannot be written is a failed file (a warn line, a partial pass in the metrics) and the commit and its message
 * hold exactly the other files. The daemon runs as a child process against the real registry and git http-backend.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { startDaemon } from '../support/daemon-process.js';
import { createBareRepo, gitAsync } from '../support/git-server.js';
import { buildImage } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { until } from '../helpers/wait.js';

const registryUrl = inject('registryUrl');
const registryHost = inject('registryHost');
const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-reports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const streamFile = (name: string, repo: string, tags = ['live']): string => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: prod
spec:
  tags:
${tags.map((t) => `  - name: ${t}\n    from:\n      kind: DockerImage\n      name: ${registryHost}/${repo}:${t}\n    importPolicy:\n      insecure: true\n`).join('')}`;

async function remote(name: string): Promise<{ files: (f: string) => string; log: string[]; message: string }> {
  const dir = mkdtempSync(path.join(work, 'clone-'));
  await gitAsync(['clone', '-q', `${gitUrl}/${name}.git`, dir]);
  const log = (await gitAsync(['log', '--format=%s'], dir)).trim().split('\n');
  const message = await gitAsync(['log', '-1', '--format=%B'], dir);
  const texts = new Map<string, string>();
  const files = (f: string): string => texts.get(f) ?? readFileSync(path.join(dir, f), 'utf8');
  for (const f of ['streams/a.yaml', 'streams/b.yaml', 'apps/web.yaml']) {
    try {
      texts.set(f, readFileSync(path.join(dir, f), 'utf8'));
    } catch {
      // not in this repository
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { files, log, message };
}

describe('the daemon reports what it did', () => {
  it('two triggers on one container: reported at warn with their code, and the workload never flips', async () => {
    const repo = 'reports/web';
    await pushImage({ url: registryUrl }, repo, 'live', buildImage({ seed: 'web-live' }));
    await pushImage({ url: registryUrl }, repo, 'canary', buildImage({ seed: 'web-canary' }));
    // The documented selector form and the form `set triggers -c web` writes both name container "web".
    const triggers = JSON.stringify([
      { from: { kind: 'ImageStreamTag', name: 'a:live' }, fieldPath: "spec.template.spec.containers[?(@.name='web')].image" },
      { from: { kind: 'ImageStreamTag', name: 'a:canary' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' },
    ]);
    const web = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n  annotations:\n    image.openshift.io/triggers: '${triggers.replaceAll("'", "''")}'\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:dev\n`;
    createBareRepo(projectRoot, 'conflict', {
      files: { 'streams/a.yaml': streamFile('a', repo, ['live', 'canary']), 'apps/web.yaml': web },
    });
    const d = await startDaemon(
      [
        '--repo-url',
        `${gitUrl}/conflict.git`,
        '--workdir',
        path.join(work, 'wd-conflict'),
        '--cache-dir',
        path.join(work, 'cache'),
        '--poll-interval',
        '300ms',
      ],
      { logFile: path.join(work, 'conflict.log') },
    );
    try {
      await until('the first pass', async () =>
        (await remote('conflict')).files('streams/a.yaml').includes('status:') ? true : undefined,
      );
      const warned = d.logs().find((l) => l.level === 40 && l.code === 'duplicate-trigger-target');
      expect(warned).toMatchObject({ file: 'apps/web.yaml' });
      // More passes (a forced one through the poll after a person's unrelated commit) leave the workload as written.
      const human = mkdtempSync(path.join(work, 'human-'));
      await gitAsync(['clone', '-q', `${gitUrl}/conflict.git`, human]);
      writeFileSync(path.join(human, 'README.md'), 'unrelated\n');
      await gitAsync(['add', 'README.md'], human);
      await gitAsync(['commit', '-qm', 'unrelated'], human);
      await gitAsync(['push', '-q', 'origin', 'main'], human);
      await until("a pass on the person's commit", () => d.logs().filter((l) => l.msg === 'pass found nothing to commit').length >= 1);
      expect((await remote('conflict')).files('apps/web.yaml')).toBe(web);
    } finally {
      await d.stop();
    }
  });

  it('a file that would grow past the read limit is not written: a warn line, a partial pass, an honest commit', async () => {
    await pushImage({ url: registryUrl }, 'reports/a', 'live', buildImage({ seed: 'a-live' }));
    await pushImage({ url: registryUrl }, 'reports/b', 'live', buildImage({ seed: 'b-live' }));
    const big = `${streamFile('b', 'reports/b')}`.replace('metadata:\n', `metadata:\n  annotations:\n    padding: "${'x'.repeat(1500)}"\n`);
    createBareRepo(projectRoot, 'toolarge', { files: { 'streams/a.yaml': streamFile('a', 'reports/a'), 'streams/b.yaml': big } });
    const config = path.join(work, 'toolarge.yaml');
    // b.yaml is just under the limit before the pass and over it once its status is written.
    writeFileSync(config, `limits:\n  maxFileBytes: ${Buffer.byteLength(big) + 200}\n`);
    const d = await startDaemon(
      [
        '--repo-url',
        `${gitUrl}/toolarge.git`,
        '--workdir',
        path.join(work, 'wd-toolarge'),
        '--cache-dir',
        path.join(work, 'cache'),
        '--config',
        config,
      ],
      { logFile: path.join(work, 'toolarge.log') },
    );
    try {
      const r = await until('the commit', async () => {
        const x = await remote('toolarge');
        return x.log.length > 1 ? x : undefined;
      });
      expect(r.files('streams/a.yaml')).toContain('status:');
      expect(r.files('streams/b.yaml')).toBe(big);
      expect(r.message).toMatch(/prod\/a:live/);
      expect(r.message).not.toMatch(/prod\/b/);
      const warn = d.logs().find((l) => l.msg === 'file not written: it could not be rendered');
      expect(warn).toMatchObject({ level: 40, file: 'streams/b.yaml', code: 'too-large' });
      const metrics = await (await fetch(`${d.url}/metrics`)).text();
      expect(metrics).toMatch(/imagestreams_passes_total\{result="partial"\} 1/);
      expect(d.logs().find((l) => l.msg === 'pass committed')).toMatchObject({ outcome: 'partial', renderErrors: 1, files: 1 });
      expect(parse(r.files('streams/a.yaml'))).toHaveProperty('status.tags');
    } finally {
      await d.stop();
    }
  });
});
