import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson } from '../../src/render/json-source.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { LineIndex, joinPointer, parsePointer } from '../../src/render/positions.js';
import { loadRepository } from '../../src/render/repository.js';
import { firstInvalidUtf8 } from '../../src/render/utf8.js';
import { defaultWalkOptions, walkRepository } from '../../src/render/walk.js';
import { parseYaml } from '../../src/render/yaml-source.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function fixture(files: Parameters<typeof writeFixture>[0]): Promise<string> {
  const dir = await writeFixture(files);
  dirs.push(dir);
  return dir;
}

describe('positions', () => {
  it('maps offsets to 1-based line:col', () => {
    const idx = new LineIndex('ab\ncd\n\nef');
    expect(idx.position(0)).toEqual({ line: 1, col: 1 });
    expect(idx.position(4)).toEqual({ line: 2, col: 2 });
    expect(idx.position(7)).toEqual({ line: 4, col: 1 });
  });
  it('escapes JSON pointer segments (RFC 6901)', () => {
    const p = joinPointer('/metadata/annotations', 'image.openshift.io/triggers~x');
    expect(p).toBe('/metadata/annotations/image.openshift.io~1triggers~0x');
    expect(parsePointer(p)).toEqual(['metadata', 'annotations', 'image.openshift.io/triggers~x']);
  });
});

describe('YAML parsing', () => {
  it('keeps every document with the position of each value and key', () => {
    const text = 'a: 1\n---\n# second\nkind: ImageStream\nspec:\n  tags:\n    - name: x\n';
    const parsed = parseYaml(text, defaultLoadLimits);
    expect(parsed.problems).toEqual([]);
    expect(parsed.documents.map((d) => d.index)).toEqual([0, 1]);
    const doc = parsed.documents[1];
    const range = doc?.positions.get('/spec/tags/0/name');
    expect(range && text.slice(range.start, range.end)).toBe('x');
    expect(range?.keyStart !== undefined && text.slice(range.keyStart, range.keyStart + 4)).toBe('name');
  });
  it('reads YAML 1.1 scalars as Kubernetes does (a quoted tag stays a string, 010 is octal)', () => {
    const parsed = parseYaml('tag: "010"\nnum: 010\n', defaultLoadLimits);
    expect(parsed.documents[0]?.value).toEqual({ tag: '010', num: 8 });
  });
  it('expands a few aliases but stops a billion-laughs document', () => {
    expect(parseYaml('a: &x [1]\nb: *x\n', defaultLoadLimits).documents[0]?.value).toEqual({ a: [1], b: [1] });
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1)
      lines.push(
        `l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    const parsed = parseYaml(lines.join('\n'), defaultLoadLimits);
    expect(parsed.problems.map((p) => p.code)).toEqual(['alias-limit']);
  });
  it('reports a duplicate key at the second occurrence', () => {
    const text = 'metadata:\n  name: a\n  name: b\n';
    const parsed = parseYaml(text, defaultLoadLimits);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.code).toBe('duplicate-key');
    expect(new LineIndex(text).position(parsed.problems[0]?.offset ?? -1)).toEqual({ line: 3, col: 3 });
  });
  it('keeps the good documents of a file where one document is broken', () => {
    const parsed = parseYaml('kind: A\n---\nkind: [\n---\nkind: C\n', defaultLoadLimits);
    expect(parsed.problems.map((p) => p.code)).toContain('yaml-syntax');
    expect(parsed.documents.map((d) => (d.value as { kind: string }).kind)).toEqual(['A', 'C']);
  });
});

describe('JSON parsing', () => {
  it('records positions and rejects comments and trailing commas (strict JSON)', () => {
    const ok = parseJson('{"spec": {"tags": [{"name": "x"}]}}', defaultLoadLimits);
    expect(ok.documents[0]?.positions.get('/spec/tags/0/name')).toMatchObject({ start: 28, end: 31, keyStart: 20 });
    expect(parseJson('{"a": 1, // c\n}', defaultLoadLimits).problems[0]?.code).toBe('json-syntax');
    expect(parseJson('{"a": 1,}', defaultLoadLimits).problems[0]?.code).toBe('json-syntax');
  });
  it('accepts a byte order mark', () => {
    expect(parseJson('\ufeff{"a": 1}', defaultLoadLimits).documents[0]?.value).toEqual({ a: 1 });
  });
});

describe('UTF-8', () => {
  it('finds the first invalid byte, and accepts valid multi-byte text', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo ✓ 𝄞'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1); // truncated sequence
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
  });
});

describe('walking a repository', () => {
  it('reads *.yaml, *.yml and *.json, skips .git and node_modules, honours include and exclude', async () => {
    const dir = await fixture({
      'a.yaml': 'a: 1',
      'b.yml': 'b: 1',
      'c.json': '{}',
      'd.txt': 'no',
      '.hidden/e.yaml': 'e: 1',
      '.git/config.yaml': 'x: 1',
      'node_modules/p/package.json': '{}',
      'deploy/f.yaml': 'f: 1',
    });
    expect((await walkRepository(dir)).files).toEqual(['.hidden/e.yaml', 'a.yaml', 'b.yml', 'c.json', 'deploy/f.yaml']);
    expect((await walkRepository(dir, { include: ['deploy/**'], exclude: [] })).files).toEqual(['deploy/f.yaml']);
    expect((await walkRepository(dir, { include: defaultWalkOptions.include, exclude: ['deploy/**', '*.json'] })).files).toEqual([
      '.hidden/e.yaml',
      'a.yaml',
      'b.yml',
    ]);
  });
  it('follows links inside the repository, refuses links outside, and ends link loops', async () => {
    const dir = await fixture({
      'real/s.yaml': 'kind: ImageStream',
      'inside.yaml': { symlink: 'real/s.yaml' },
      'out.yaml': { symlink: '/etc/passwd' },
    });
    await symlink('..', path.join(dir, 'real', 'loop'));
    await mkdir(path.join(dir, 'outdir'));
    await symlink('/etc', path.join(dir, 'outdir', 'etc'));
    const walked = await walkRepository(dir);
    expect(walked.files).toContain('inside.yaml');
    expect(walked.files).toContain('real/s.yaml');
    expect(walked.files.some((f) => f.includes('passwd') || f.startsWith('outdir/'))).toBe(false);
    expect(walked.problems.map((p) => `${p.path} ${p.code}`).sort()).toEqual([
      'out.yaml symlink-outside-repository',
      'outdir/etc symlink-outside-repository',
    ]);
  });
  it('loads List items and Template objects with their pointers and document index', async () => {
    const dir = await fixture({
      'l.yaml':
        'kind: Other\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: image.openshift.io/v1\n    kind: ImageStream\n    metadata: {name: a}\n',
      't.json': JSON.stringify({
        apiVersion: 'template.openshift.io/v1',
        kind: 'Template',
        objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: '${NAME}' } }],
      }),
    });
    const repo = await loadRepository(['.'], { walk: defaultWalkOptions, limits: defaultLoadLimits, displayBase: dir });
    const found = repo.objects.map(
      (o) => `${o.location.file}#${o.location.documentIndex}${o.location.pointer} ${o.kind}${o.template ? ' (template)' : ''}`,
    );
    expect(found).toEqual(expect.arrayContaining(['l.yaml#1/items/0 ImageStream', 't.json#0/objects/0 Deployment (template)']));
  });
  it('reports a file that cannot be read and goes on', async () => {
    const dir = await fixture({ 'ok.yaml': 'kind: ImageStream\napiVersion: v1\nmetadata: {name: ok}\n' });
    await writeFile(path.join(dir, 'gone.yaml'), '');
    const repo = await loadRepository(['ok.yaml', 'missing.yaml'], {
      walk: defaultWalkOptions,
      limits: defaultLoadLimits,
      displayBase: dir,
    });
    expect(repo.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(['missing.yaml read-error']);
    expect(repo.objects).toHaveLength(1);
  });
  it('refuses a FIFO named as a file, without blocking on it (reads are synchronous)', async () => {
    const dir = await fixture({ 'ok.yaml': 'kind: ImageStream\napiVersion: v1\nmetadata: {name: ok}\n' });
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
    // No writer ever opens the FIFO: a blocking open would hang this test.
    const repo = await loadRepository(['pipe.yaml', 'ok.yaml'], {
      walk: defaultWalkOptions,
      limits: defaultLoadLimits,
      displayBase: dir,
    });
    expect(repo.diagnostics.map((d) => `${d.file} ${d.code} ${d.message}`)).toEqual([
      'pipe.yaml read-error cannot read file: not a regular file',
    ]);
    expect(repo.objects).toHaveLength(1);
  });
});

describe('YAML aliases across documents', () => {
  it('an alias to an anchor of another document is a syntax error, not an alias bomb', () => {
    const parsed = parseYaml('a: &x 1\n---\nb: *x\n', defaultLoadLimits);
    expect(parsed.problems.map((p) => [p.code, p.document])).toEqual([['yaml-syntax', 1]]);
    expect(parsed.problems[0]?.message).toMatch(/alias/i);
  });
});
