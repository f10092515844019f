/**
 * The end-to-end demo (README's first command): a throwaway local registry stands in for Docker Hub through a
 * registry mirror, the example images are pushed to it, `imagestreams reconcile` runs over a temporary copy of
 * examples/, and the diff is shown. A second run shows that nothing is left to do. Cleans up after itself.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTwoFilesPatch } from 'diff';
import { readFileSync, readdirSync } from 'node:fs';
import { run } from '../src/cli/main.js';
import { buildImage, buildMultiArch } from '../test/support/images.js';
import { pushImage, pushIndex } from '../test/support/push.js';
import { startRegistry } from '../test/support/registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (text: string): void => void process.stdout.write(`\n\u001b[1m== ${text}\u001b[0m\n`);

const registry = await startRegistry();
const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-demo-'));
try {
  say(`A local registry on ${registry.host} stands in for docker.io (a registry mirror)`);
  await pushImage(registry, 'library/ruby', '3.3', buildImage({ seed: 'demo-ruby-3.3', labels: { 'org.opencontainers.image.version': '3.3.6' }, cmd: ['irb'] }));
  await pushImage(registry, 'library/ruby', '3.2', buildImage({ seed: 'demo-ruby-3.2', labels: { 'org.opencontainers.image.version': '3.2.5' }, cmd: ['irb'] }));
  await pushIndex(registry, 'library/nginx', 'stable', buildMultiArch([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }], { format: 'oci', seed: 'demo-nginx' }));
  console.log('pushed docker.io/library/ruby:3.3, ruby:3.2 and a multi-arch nginx:stable');

  const repo = path.join(work, 'examples');
  cpSync(path.join(root, 'examples'), repo, { recursive: true });
  const config = path.join(work, 'demo-config.yaml');
  writeFileSync(config, `registries:\n  mirrors:\n    - registry: docker.io\n      mirror: "${registry.host}"\n      insecure: true\ncacheDir: "${path.join(work, 'cache')}"\n`);

  say('imagestreams reconcile (first run: imports, writes status and history)');
  const io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t), cwd: work, env: {} };
  const first = await run(['reconcile', '--repo', 'examples', '--config', config], io);
  console.log(`exit status ${first}`);

  say('What changed in the files (git-style diff)');
  for (const name of (readdirSync(repo, { recursive: true }) as string[]).sort()) {
    const before = path.join(root, 'examples', name);
    const after = path.join(repo, name);
    let a: string;
    let b: string;
    try {
      a = readFileSync(before, 'utf8');
      b = readFileSync(after, 'utf8');
    } catch {
      continue;
    }
    if (a !== b) process.stdout.write(createTwoFilesPatch(`a/examples/${name}`, `b/examples/${name}`, a, b, undefined, undefined, { context: 2 }).replace(/^=+\n/, ''));
  }

  say('imagestreams reconcile --check (second run: nothing left to do, one HEAD per scheduled tag)');
  const second = await run(['reconcile', '--repo', 'examples', '--config', config, '--check'], io);
  console.log(`exit status ${second} (0 = reconciled)`);
  process.exitCode = first === 0 && second === 0 ? 0 : 1;
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
