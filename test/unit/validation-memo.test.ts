/**
 * The daemon's ValidationMemo: a repository whose files are the very objects of the last load is not validated
 * again; any changed, added or removed file, or other options, validates everything again (rules cross files).
 */
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultLoadLimits } from '../../src/render/limits.js';
import type { LoadCache } from '../../src/render/repository.js';
import { loadRepository } from '../../src/render/repository.js';
import { ValidationMemo, validateRepository } from '../../src/render/validate.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { makeTempDir, removeDir } from '../support/tmp.js';

const stream = (name: string, extra = '') =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ${name}\n  namespace: ns\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: quay.io/x/${name}:v1\n${extra}`;

let repo: string;
beforeEach(() => {
  repo = makeTempDir('validation-memo');
  mkdirSync(path.join(repo, 's'));
  writeFileSync(path.join(repo, 's', 'a.yaml'), stream('a'));
  writeFileSync(path.join(repo, 's', 'b.yaml'), stream('b', '    bogus: 1\n'));
});
afterEach(() => removeDir(repo));

describe('ValidationMemo', () => {
  const cache: LoadCache = new Map();
  const load = () => loadRepository([repo], { walk: defaultWalkOptions, limits: defaultLoadLimits, displayBase: repo, cache });
  const options = { defaultNamespace: 'default' };
  const codes = (ds: readonly { file: string; code: string }[]) => ds.map((d) => `${d.file} ${d.code}`);

  it('reuses the last diagnostics while every file is unchanged, and validates again on any change', async () => {
    cache.clear();
    const memo = new ValidationMemo();
    const first = validateRepository(await load(), options, { memo });
    expect(codes(first)).toEqual(['s/b.yaml unknown-field']);
    const kept = memo.last;
    const second = validateRepository(await load(), options, { memo });
    expect(second).toEqual(first);
    expect(memo.last).toBe(kept); // not validated again
    second.length = 0; // a caller's copy: the memo keeps its own
    expect(validateRepository(await load(), options, { memo })).toEqual(first);

    // A new file that duplicates a stream of an unchanged one: the rule across files is seen.
    writeFileSync(path.join(repo, 's', 'c.yaml'), stream('a'));
    const third = validateRepository(await load(), options, { memo });
    expect(memo.last).not.toBe(kept);
    expect(codes(third).filter((c) => c.includes('duplicate')).length).toBeGreaterThan(0);
    expect(third).toEqual(validateRepository(await load(), options));

    // A removed file, and other options.
    rmSync(path.join(repo, 's', 'c.yaml'));
    expect(validateRepository(await load(), options, { memo })).toEqual(first);
    const other = memo.last;
    validateRepository(await load(), { defaultNamespace: 'other' }, { memo });
    expect(memo.last).not.toBe(other);
  });

  it("keeps no load's parses alive: once the load cache lets them go, they can be collected", async () => {
    cache.clear();
    const memo = new ValidationMemo();
    const refs = await (async () => {
      const repository = await load();
      validateRepository(repository, options, { memo });
      return [...repository.files.values()].map((f) => new WeakRef(f));
    })();
    cache.clear(); // what a changed file does to its cache entry
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    await sleep(0); // a WeakRef's target is kept until the job that made or read it has ended
    gc();
    expect(refs.length).toBe(2);
    expect(refs.filter((r) => r.deref() !== undefined)).toEqual([]);
    // The memo then validates again (its files are gone), with the same result.
    expect(codes(validateRepository(await load(), options, { memo }))).toEqual(['s/b.yaml unknown-field']);
  });

  it('a changed file is validated again', async () => {
    cache.clear();
    const memo = new ValidationMemo();
    validateRepository(await load(), options, { memo });
    writeFileSync(path.join(repo, 's', 'b.yaml'), stream('b'));
    expect(validateRepository(await load(), options, { memo })).toEqual([]);
  });
});
