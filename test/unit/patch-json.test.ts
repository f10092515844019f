import { describe, expect, it } from 'vitest';
import { applyPatches } from '../../src/render/patch.js';
import type { PatchOp } from '../../src/render/patch.js';

function patch(text: string, ops: PatchOp[]): string {
  const r = applyPatches(text, 'json', [{ document: 0, ops }]);
  if (!r.ok) throw new Error(r.error);
  return r.text;
}

describe('applyPatches (JSON)', () => {
  it('returns the text unchanged for no patches', () => {
    const text = '{\n  "a": [1,2],  "b": "x"\n}';
    expect(applyPatches(text, 'json', [])).toEqual({ ok: true, text });
  });

  it('replaces a scalar in a 2-space file and keeps a missing final newline missing', () => {
    const text = '{\n  "kind": "ImageStream",\n  "spec": {\n    "tags": []\n  }\n}';
    expect(patch(text, [{ op: 'replace', path: '/kind', value: 'Other' }])).toBe(
      '{\n  "kind": "Other",\n  "spec": {\n    "tags": []\n  }\n}',
    );
  });

  it('adds a nested object with tab indentation', () => {
    const text = '{\n\t"metadata": {\n\t\t"name": "ruby"\n\t}\n}\n';
    expect(patch(text, [{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }])).toBe(
      '{\n\t"metadata": {\n\t\t"name": "ruby",\n\t\t"annotations": {\n\t\t\t"a": "b"\n\t\t}\n\t}\n}\n',
    );
  });

  it('inserts into an array with 4-space indentation and CRLF, keeping the BOM', () => {
    const text = '\ufeff{\r\n    "items": [\r\n        1,\r\n        3\r\n    ]\r\n}\r\n';
    expect(patch(text, [{ op: 'add', path: '/items/1', value: 2 }])).toBe(
      '\ufeff{\r\n    "items": [\r\n        1,\r\n        2,\r\n        3\r\n    ]\r\n}\r\n',
    );
    expect(patch(text, [{ op: 'add', path: '/items/-', value: { x: 'y' } }])).toBe(
      '\ufeff{\r\n    "items": [\r\n        1,\r\n        3,\r\n        {\r\n            "x": "y"\r\n        }\r\n    ]\r\n}\r\n',
    );
  });

  it('removes a property and an array element', () => {
    const text = '{\n  "a": 1,\n  "b": [\n    "x",\n    "y"\n  ],\n  "c": true\n}\n';
    expect(
      patch(text, [
        { op: 'remove', path: '/a' },
        { op: 'remove', path: '/b/0' },
      ]),
    ).toBe('{\n  "b": [\n    "y"\n  ],\n  "c": true\n}\n');
  });

  it('applies ops in order, later ops seeing earlier ones', () => {
    const text = '{\n  "status": {}\n}\n';
    const out = patch(text, [
      { op: 'add', path: '/status/tags', value: [] },
      { op: 'add', path: '/status/tags/-', value: { tag: 'latest', items: [] } },
      { op: 'replace', path: '/status/tags/0/tag', value: 'v1' },
    ]);
    expect(JSON.parse(out)).toEqual({ status: { tags: [{ tag: 'v1', items: [] }] } });
    expect(out.startsWith('{\n  "status": {\n    "tags": [\n      {\n')).toBe(true);
  });

  it('refuses bad input, bad paths and other documents', () => {
    expect(applyPatches('{"a": 1', 'json', [])).toMatchObject({ ok: false });
    expect(applyPatches('{"a": 1} // c', 'json', [])).toMatchObject({ ok: false });
    expect(applyPatches('{"a": 1}', 'json', [{ document: 0, ops: [{ op: 'replace', path: '/b', value: 1 }] }])).toMatchObject({
      ok: false,
    });
    expect(applyPatches('{"a": 1}', 'json', [{ document: 0, ops: [{ op: 'add', path: '/a', value: 1 }] }])).toMatchObject({ ok: false });
    expect(applyPatches('{"a": 1}', 'json', [{ document: 1, ops: [] }])).toMatchObject({ ok: false });
    expect(applyPatches('{"a": [1]}', 'json', [{ document: 0, ops: [{ op: 'add', path: '/a/5', value: 1 }] }])).toMatchObject({
      ok: false,
    });
  });
});
