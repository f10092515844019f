/**
 * kustomize `images:` write-back, judged by kustomize itself: the golden repository fixtures/repos/kustomize-images
 * (whose `after/` the golden test proves a pass produces from `before/`, and leaves alone on a second pass) is
 * rendered with the real `kubectl kustomize`, and the images in the rendered Deployment are what the stream tags
 * resolve to: an entry edited in place (newTag → digest), an entry added in name order (reference: tag), an
 * `images:` section added with a newName, and a hand-pinned entry left as it was.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const golden = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/repos/kustomize-images');

/** `kubectl kustomize` and the kustomize version it carries, or why there is none usable. */
function findKustomize(): { ok: true; version: string } | { ok: false; why: string } {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return { ok: false, why: `no kubectl on PATH (${r.error?.message ?? r.stderr.trim()}); scripts/setup.sh installs one` };
  const m = /Kustomize Version: v(\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
  if (!m) return { ok: false, why: `kubectl does not report a kustomize version: ${r.stdout.trim()}` };
  if (Number(m[1]) < 4) return { ok: false, why: `kubectl carries kustomize v${m[1]}.${m[2]}.${m[3]}; these overlays need v4 or later` };
  return { ok: true, version: `v${m[1]}.${m[2]}.${m[3]}` };
}

const kustomize = findKustomize();

function images(dir: string): Record<string, string> {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  const found: Record<string, string> = {};
  for (const doc of parseAllDocuments(out)) {
    const v = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ name: string; image: string }> } } } };
    if (v.kind !== 'Deployment') continue;
    for (const c of v.spec?.template?.spec?.containers ?? []) found[c.name] = c.image;
  }
  return found;
}

const web12 = `sha256:${'12'.repeat(32)}`;
const rc13 = `sha256:${'13'.repeat(32)}`;

// Without a usable kustomize the suite is skipped, and its title says why.
describe.skipIf(!kustomize.ok)(
  `kustomize images rendered by kubectl kustomize (${kustomize.ok ? kustomize.version : `skipped: ${kustomize.why}`})`,
  () => {
    it('prod: the edited entry pins the digest, the added entry sets the tag, the hand-pinned entry stays', () => {
      expect(images(path.join(golden, 'before/overlays/prod'))).toEqual({
        web: 'quay.io/shop/web:1.0',
        worker: 'quay.io/shop/worker:1.0',
        proxy: 'nginx:1.27',
      });
      expect(images(path.join(golden, 'after/overlays/prod'))).toEqual({
        web: `quay.io/shop/web@${web12}`,
        worker: 'quay.io/shop/worker:2.4',
        proxy: 'nginx:1.27',
      });
    });
    it('staging: the added images section renames the image to the stream tag source, by digest', () => {
      expect(images(path.join(golden, 'before/overlays/staging'))).toMatchObject({ web: 'quay.io/shop/web:1.0' });
      expect(images(path.join(golden, 'after/overlays/staging'))).toEqual({
        web: `registry.example.com/shop/web-rc@${rc13}`,
        worker: 'quay.io/shop/worker:1.0',
        proxy: 'nginx:1.25',
      });
    });
  },
);
