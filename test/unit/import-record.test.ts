/**
 * The import record's hashes (semantics §13.3): tagSpecHash must give, for every tag, exactly the hash of the JSON
 * text the records in users' files were made from, whichever path computes it; SpecHashes must agree with it.
 */
import { describe, expect, it } from 'vitest';
import { readImportRecord, shortHash, SpecHashes, tagSpecHash } from '../../src/reconcile/import-record.js';
import type { TagReference } from '../../src/reconcile/model.js';
import { mulberry32 as prng } from '../fault/prng.js';

/** The definition: FNV-1a of the JSON text of the four import-relevant fields. */
const byDefinition = (tag: TagReference, namespace: string): string =>
  shortHash(
    JSON.stringify([tag.from?.namespace || namespace, tag.from?.name ?? '', tag.reference ?? false, tag.importPolicy?.importMode ?? '']),
  );

// Characters JSON writes as they are and characters it escapes (quote, backslash, controls, lone surrogates).
const alphabet = [
  'a',
  'Z',
  '0',
  '.',
  ':',
  '/',
  '@',
  '-',
  '_',
  ' ',
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001f',
  'é',
  '\u2028',
  '\ud83d\ude00',
  '\ud800',
  '\udc00',
];

function randomText(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i += 1) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function randomTag(r: () => number): TagReference {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const from: Record<string, unknown> = { kind: 'DockerImage', name: pick([randomText(r), 'quay.io/org/app:1.2', undefined, null]) };
  const namespace = pick([randomText(r), '', undefined, 7]);
  if (namespace !== undefined) from.namespace = namespace;
  const tag: Record<string, unknown> = { name: 'v1', from: r() < 0.9 ? from : undefined };
  const reference = pick([true, false, undefined, null, 'yes', 1]);
  if (reference !== undefined) tag.reference = reference;
  const mode = pick(['Legacy', 'PreserveOriginal', '', randomText(r), undefined, 3]);
  if (mode !== undefined || r() < 0.5) tag.importPolicy = mode === undefined ? {} : { importMode: mode };
  return tag as unknown as TagReference;
}

describe('tagSpecHash', () => {
  it('is the hash of the JSON text for 20,000 random tags (plain strings, escapes, surrogates, odd types)', () => {
    const r = prng(13);
    for (let i = 0; i < 20_000; i += 1) {
      const tag = randomTag(r);
      const namespace = r() < 0.5 ? 'ns' : randomText(r);
      expect(tagSpecHash(tag, namespace)).toBe(byDefinition(tag, namespace));
    }
  });

  it('keeps the hashes of records already written (a fixed example)', () => {
    const tag = { name: 'v1', from: { kind: 'DockerImage', name: 'quay.io/org/app:1.2' } } as TagReference;
    expect(tagSpecHash(tag, 'ns')).toBe(shortHash('["ns","quay.io/org/app:1.2",false,""]'));
    expect(tagSpecHash({ ...tag, reference: true, importPolicy: { importMode: 'PreserveOriginal' } }, 'ns')).toBe(
      shortHash('["ns","quay.io/org/app:1.2",true,"PreserveOriginal"]'),
    );
  });
});

describe('SpecHashes', () => {
  it('gives what tagSpecHash gives, once per tag object, and hashes again for another namespace', () => {
    const hashes = new SpecHashes();
    const tag = { name: 'v1', from: { kind: 'DockerImage', name: 'quay.io/org/app:1.2' } } as TagReference;
    expect(hashes.of(tag, 'a')).toBe(tagSpecHash(tag, 'a'));
    expect(hashes.of(tag, 'a')).toBe(tagSpecHash(tag, 'a'));
    expect(hashes.of(tag, 'b')).toBe(tagSpecHash(tag, 'b'));
    expect(hashes.of(tag, 'b')).not.toBe(hashes.of(tag, 'a'));
  });
});

describe('readImportRecord', () => {
  it('reads escaped and plain tag names alike', () => {
    const record = readImportRecord({ 'imagestreams.dev/import-spec': 'v1=0123abcd, a%2Cb%3Dc%25=89abcdef,bad=xyz' });
    expect([...record]).toEqual([
      ['v1', '0123abcd'],
      ['a,b=c%', '89abcdef'],
    ]);
  });

  it('gives each caller a map of its own (the text was read before: changing one map changes no other)', () => {
    const notes = { 'imagestreams.dev/import-spec': 'v1=0123abcd,v2=89abcdef,v1=00000000' };
    const first = readImportRecord(notes);
    expect([...first]).toEqual([
      ['v1', '00000000'],
      ['v2', '89abcdef'],
    ]);
    first.set('v3', 'ffffffff');
    first.delete('v1');
    expect([...readImportRecord(notes)]).toEqual([
      ['v1', '00000000'],
      ['v2', '89abcdef'],
    ]);
    expect(readImportRecord({ 'imagestreams.dev/import-spec': 42 }).size).toBe(0);
  });
});
