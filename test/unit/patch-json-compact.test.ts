/** Byte-exact JSON: a container written on one line stays on one line when a value is added inside it. */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';
import { applyPatches } from '../../src/render/patch.js';
import type { PatchOp } from '../../src/render/patch.js';

function patch(text: string, ops: PatchOp[]): string {
  const r = applyPatches(text, 'json', [{ document: 0, ops }]);
  if (!r.ok) throw new Error(r.error);
  return r.text;
}
const file = '{\n  "metadata": {"name": "python", "namespace": "shop"},\n  "spec": {"tags": []},\n  "list": [1, 2],\n  "status": {}\n}\n';

describe('compact JSON stays compact', () => {
  it("a key added to a one-line object, with a nested value, in the object's own spacing", () => {
    expect(patch(file, [{ op: 'add', path: '/metadata/annotations', value: { a: 'b', c: { d: [1, 2] } } }])).toBe(
      file.replace('"namespace": "shop"}', '"namespace": "shop", "annotations": {"a": "b", "c": {"d": [1, 2]}}}'),
    );
    const tight = '{\n  "metadata": {"name":"python","namespace":"shop"}\n}\n';
    expect(patch(tight, [{ op: 'add', path: '/metadata/labels', value: { app: 'x' } }])).toBe(
      '{\n  "metadata": {"name":"python","namespace":"shop","labels": {"app":"x"}}\n}\n'.replace('"labels": ', '"labels":'),
    );
    const padded = '{\n  "metadata": { "name": "python" }\n}\n';
    expect(patch(padded, [{ op: 'add', path: '/metadata/namespace', value: 'shop' }])).toBe(
      '{\n  "metadata": { "name": "python", "namespace": "shop" }\n}\n',
    );
  });

  it('an item added to an empty array inside a one-line object, and into a one-line array at any place', () => {
    expect(patch(file, [{ op: 'add', path: '/spec/tags/-', value: { name: '1', from: { kind: 'DockerImage', name: 'q.io/a:1' } } }])).toBe(
      file.replace('"spec": {"tags": []}', '"spec": {"tags": [{"name": "1", "from": {"kind": "DockerImage", "name": "q.io/a:1"}}]}'),
    );
    expect(patch(file, [{ op: 'add', path: '/list/0', value: 0 }])).toBe(file.replace('[1, 2]', '[0, 1, 2]'));
    expect(patch(file, [{ op: 'add', path: '/list/1', value: { x: 1 } }])).toBe(file.replace('[1, 2]', '[1, {"x": 1}, 2]'));
    expect(patch(file, [{ op: 'add', path: '/list/-', value: 3 }])).toBe(file.replace('[1, 2]', '[1, 2, 3]'));
    expect(patch('[1,2]\n', [{ op: 'add', path: '/-', value: [3] }])).toBe('[1,2,[3]]\n');
  });

  it('a value replaced inside a one-line object is written on one line', () => {
    expect(patch(file, [{ op: 'replace', path: '/spec/tags', value: [{ name: 'a' }] }])).toBe(
      file.replace('"tags": []', '"tags": [{"name": "a"}]'),
    );
  });

  it('an empty object in a multi-line file is not evidence of a style: it is expanded as the file is', () => {
    expect(patch(file, [{ op: 'add', path: '/status/tags', value: [] }])).toBe(
      file.replace('"status": {}', '"status": {\n    "tags": []\n  }'),
    );
  });

  it('a multi-line object keeps its layout; a removal inside a one-line object keeps the line', () => {
    expect(patch('{\n  "a": 1\n}\n', [{ op: 'add', path: '/b', value: { c: 1 } }])).toBe('{\n  "a": 1,\n  "b": {\n    "c": 1\n  }\n}\n');
    expect(patch(file, [{ op: 'remove', path: '/metadata/namespace' }])).toBe(file.replace(', "namespace": "shop"', ''));
    expect(patch(file, [{ op: 'remove', path: '/metadata/name' }])).toBe(file.replace('"name": "python", ', ''));
    expect(patch(file, [{ op: 'remove', path: '/list/1' }])).toBe(file.replace('[1, 2]', '[1]'));
    expect(patch(file, [{ op: 'remove', path: '/spec/tags' }])).toBe(file.replace('{"tags": []}', '{}'));
  });

  it('end to end: set image-lookup on a JSON stream whose spec is one line', async () => {
    const text =
      '{\n    "apiVersion": "image.openshift.io/v1",\n    "kind": "ImageStream",\n    "metadata": {"name": "python", "namespace": "shop"},\n    "spec": {"tags": []}\n}\n';
    const d = await writeFixture({ 'python.json': text });
    try {
      expect((await runCli(['set', 'image-lookup', 'python', '-n', 'shop'], { cwd: d })).code).toBe(0);
      expect(readFileSync(path.join(d, 'python.json'), 'utf8')).toBe(
        text.replace('{"tags": []}', '{"tags": [], "lookupPolicy": {"local": true}}'),
      );
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
