/** tag-events.json `importerResults` (semantics §6.4, §6.6): the parts that need no network. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MetadataCache } from '../../src/import/cache.js';
import { Importer } from '../../src/import/importer.js';
import type { RegistryClient } from '../../src/import/registry-client.js';
import { exactReference, mostSpecific, parseOpenShiftReference } from '../../src/reconcile/reference.js';

const group = (
  JSON.parse(readFileSync(new URL('../../fixtures/vectors/tag-events.json', import.meta.url), 'utf8')) as {
    groups: { importerResults: { cases: Array<{ name: string; requests?: Array<string | object>; expected: unknown }> } };
  }
).groups.importerResults;
// parseSource is pure: it never touches the client.
const importer = new Importer({ client: {} as RegistryClient, cache: new MetadataCache(undefined) });

describe('importerResults (§6.6): pull specs keep the reference as written, digest instead of tag', () => {
  const [byDigestAndTag, failures] = group.cases;
  it(byDigestAndTag?.name ?? 'case 1', () => {
    const expected = byDigestAndTag?.expected as Array<Record<string, string>>;
    ((byDigestAndTag?.requests ?? []) as string[]).forEach((from, i) => {
      const ref = parseOpenShiftReference(from);
      if (!ref.ok) throw new Error(ref.error);
      const digest = expected[i]?.['image.name'] as string;
      expect(exactReference(mostSpecific({ ...ref.value, id: digest }))).toBe(expected[i]?.['image.dockerImageReference']);
    });
  });
  it(`${failures?.name ?? 'case 2'}: names normalized for the network and for messages, invalid names refused`, () => {
    const missingTag = importer.parseSource('test', false);
    expect(missingTag).toMatchObject({
      normalized: 'docker.io/library/test:latest',
      reference: 'latest',
      target: { host: 'registry-1.docker.io', repository: 'library/test' },
    });
    const byDigest = importer.parseSource('test@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', false);
    expect(byDigest).toMatchObject({
      normalized: 'docker.io/library/test@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    // Deliberate difference: upstream prefixes ` "" is invalid: ` (the stream name of its test); we name the field only.
    expect(importer.parseSource('test///un/parse/able/image', false)).toEqual({
      kind: 'invalid',
      reason: 'Invalid',
      message: 'from.name: Invalid value: "test///un/parse/able/image": invalid name: invalid reference format',
    });
  });
});
