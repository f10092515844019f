/**
 * A stream with thousands of tags, through the whole pass (load, plan, render, verify) with recorded observations:
 * the result is right and a second pass changes nothing; a file the pass would make larger than the read limit
 * (limits.maxFileBytes) is not written, and the render error says which stream and what would help.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImportSource, PassOptions } from '../../src/cli/pipeline.js';
import { reconcilePass } from '../../src/cli/pipeline.js';
import type { Observation } from '../../src/import/index.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { defaultReconcileSettings } from '../../src/reconcile/settings.js';

const hex = (n: number): string => n.toString(16).padStart(64, '0');
const digestOf = (tag: string, round: number): string => `sha256:${hex(Number(tag.slice(1)) + round * 1_000_000)}`;

function streamFile(n: number): string {
  const spec = Array.from(
    { length: n },
    (_, t) => `  - name: v${t}\n    from:\n      kind: DockerImage\n      name: quay.io/big/app:v${t}\n`,
  ).join('');
  return `# many tags\napiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: big\nspec:\n  tags:\n${spec}`;
}

/** Round r: every tag answers with a digest of its own, a new one each round. */
function registry(round: number): ImportSource {
  const answer = (from: string): Observation => {
    const digest = digestOf(from.slice(from.lastIndexOf(':') + 1), round);
    return {
      ok: true,
      image: {
        digest,
        dockerImageReference: `quay.io/big/app@${digest}`,
        manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: [],
      },
    };
  };
  return {
    importImages: async (requests) => requests.map((r) => answer(r.from)),
    repositoryTags: async () => ({ ok: false, failure: { kind: 'not-found', reason: 'NotFound', message: 'none' } }),
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(n: number): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'imagestreams-large-'));
  dirs.push(dir);
  const file = path.join(dir, 'app.yaml');
  writeFileSync(file, streamFile(n));
  return { dir, file };
}

async function pass(dir: string, round: number, extra: Partial<PassOptions> = {}) {
  const result = await reconcilePass({
    repoDir: dir,
    displayBase: dir,
    walk: defaultWalkOptions,
    limits: defaultLoadLimits,
    settings: defaultReconcileSettings,
    now: `2024-05-0${round + 1}T12:00:00Z`,
    offline: false,
    forceImport: round > 0,
    importer: registry(round),
    ...extra,
  });
  for (const c of result.changes) writeFileSync(c.absolute, c.after, 'utf8');
  return result;
}

interface Written {
  status: { tags: Array<{ tag: string; items: Array<{ image: string; dockerImageReference: string; generation: number }> }> };
}

describe('a stream with thousands of tags', () => {
  it('is imported, then re-imported with every tag moved, in one verified render each; a third pass changes nothing', async () => {
    const n = 3000;
    const { dir, file } = repo(n);
    const original = readFileSync(file, 'utf8');
    const first = await pass(dir, 0);
    expect(first.renderErrors).toEqual([]);
    expect(first.changes).toHaveLength(1);
    const one = parse(readFileSync(file, 'utf8'), { version: '1.1' }) as Written;
    expect(one.status.tags.map((t) => t.tag)).toEqual(Array.from({ length: n }, (_, t) => `v${t}`).sort());
    for (const t of one.status.tags) expect(t.items.map((i) => i.image)).toEqual([digestOf(t.tag, 0)]);
    // The user's text is kept byte for byte in front of what the pass added.
    expect(readFileSync(file, 'utf8').startsWith(original.slice(0, original.indexOf('  name: app')))).toBe(true);

    const second = await pass(dir, 1);
    expect(second.renderErrors).toEqual([]);
    // One edit per tag (a new history item each), rendered together.
    expect(second.changes[0]?.edits.filter((e) => e.op.op === 'add' && /\/status\/tags\/\d+\/items\/0$/.test(e.op.path))).toHaveLength(n);
    const two = parse(readFileSync(file, 'utf8'), { version: '1.1' }) as Written;
    for (const t of two.status.tags) expect(t.items.map((i) => i.image)).toEqual([digestOf(t.tag, 1), digestOf(t.tag, 0)]);

    const third = await pass(dir, 1, { forceImport: false });
    expect(third.changes).toEqual([]);
    // Three passes over 3,000 tags: about 11 s alone, three times that on a loaded two-core machine. The bound only
    // keeps a hung pass from hanging CI; speed is measured by the benches, not here.
  }, 120_000);

  it('a history cap over thousands of tags is a removal and a prepend per tag, and the result holds exactly the cap', async () => {
    const n = 1500;
    const { dir, file } = repo(n);
    await pass(dir, 0);
    await pass(dir, 1);
    const capped = await pass(dir, 2, { settings: { ...defaultReconcileSettings, historyLimit: 2 } });
    expect(capped.renderErrors).toEqual([]);
    const value = parse(readFileSync(file, 'utf8'), { version: '1.1' }) as Written;
    for (const t of value.status.tags) expect(t.items.map((i) => i.image)).toEqual([digestOf(t.tag, 2), digestOf(t.tag, 1)]);
  });

  it('a file that would outgrow limits.maxFileBytes is not written; the render error has the code and says what helps', async () => {
    const n = 2000;
    const { dir, file } = repo(n);
    const before = readFileSync(file);
    const limit = before.length * 2; // the status would more than double the file
    const result = await pass(dir, 0, { limits: { ...defaultLoadLimits, maxFileBytes: limit } });
    expect(result.changes).toEqual([]);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(result.renderErrors).toEqual([
      {
        file: 'app.yaml',
        code: 'too-large',
        error: expect.stringMatching(
          new RegExp(
            `^the edited file would be more than \\d+ bytes, more than the limit of ${limit} bytes for the stream big/app \\(${n} status tags, ${n} history items\\), so it is left as it is; .*reconcile\\.historyLimit.*reconcile\\.repositoryTagCap.*limits\\.maxFileBytes$`,
          ),
        ),
      },
    ]);
    // The imports themselves happened and are reported; only the file is left alone.
    expect(result.imports).toHaveLength(n);
  });

  it('also when the result is only known to be too large once it is rendered (edits that replace as well as add)', async () => {
    const n = 1000;
    const { dir, file } = repo(n);
    await pass(dir, 0);
    const before = readFileSync(file);
    // Round 1 adds an item per tag and replaces the check annotation: no lower bound, the rendered size decides.
    const result = await pass(dir, 1, { limits: { ...defaultLoadLimits, maxFileBytes: before.length + 1000 } });
    expect(result.changes).toEqual([]);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(result.renderErrors).toMatchObject([
      {
        file: 'app.yaml',
        code: 'too-large',
        error: expect.stringMatching(
          /^the edited file would be \d+ bytes, more than the limit of \d+ bytes for the stream big\/app \(1000 status tags, 2000 history items\)/,
        ),
      },
    ]);
  });
});
