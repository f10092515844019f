/**
 * Upstream's own validation test tables (fixtures/vectors/upstream-validate-*.json), each case written to a file and
 * run end to end through `imagestreams validate -o json`: the errors we report must be upstream's, case for case
 * (the same field, the same detail text, our code at our pointer), except where a case records a documented
 * difference.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

interface UpstreamError {
  readonly type: string;
  readonly field: string;
  readonly value?: unknown;
  readonly detail: string;
}
interface StreamCase {
  readonly name: string;
  readonly namespace: string;
  readonly streamName: string;
  readonly dockerImageRepository?: string;
  readonly specTags?: ReadonlyArray<Record<string, unknown>>;
  readonly statusTags?: ReadonlyArray<Record<string, unknown>>;
  readonly upstream: readonly UpstreamError[];
  readonly ours: ReadonlyArray<{ readonly code: string; readonly pointer: string }>;
  readonly differs?: string;
}
interface Vectors {
  readonly _source: { readonly repo: string; readonly commit: string; readonly path: string; readonly test: string };
  readonly cases: readonly StreamCase[];
}
interface JsonDiagnostic {
  readonly pointer: string;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/vectors/upstream-validate-imagestream.json', import.meta.url), 'utf8'),
) as Vectors;

/** The stream as the v1 JSON a file holds; an empty namespace is left out, as a file without one. */
function streamFile(c: StreamCase): string {
  const metadata: Record<string, unknown> = { name: c.streamName };
  if (c.namespace !== '') metadata.namespace = c.namespace;
  const spec: Record<string, unknown> = {};
  if (c.dockerImageRepository !== undefined) spec.dockerImageRepository = c.dockerImageRepository;
  if (c.specTags) spec.tags = c.specTags;
  const object: Record<string, unknown> = { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata, spec };
  if (c.statusTags) object.status = { dockerImageRepository: '', tags: c.statusTags };
  return `${JSON.stringify(object, null, 2)}\n`;
}

async function validateCase(c: StreamCase): Promise<JsonDiagnostic[]> {
  const dir = await writeFixture({ 'is.json': streamFile(c) });
  try {
    const result = await runCli(['validate', '-o', 'json', '.'], { cwd: dir });
    expect([0, 1]).toContain(result.code);
    return JSON.parse(result.stdout) as JsonDiagnostic[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Upstream's field path for one of our pointers: spec tags and status tags are keyed by their names upstream. */
function upstreamField(c: StreamCase, d: JsonDiagnostic): string {
  const parts = d.pointer.slice(1).split('/');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const list =
      parts[i - 1] === 'tags' ? (parts[i - 2] === 'spec' ? c.specTags : parts[i - 2] === 'status' ? c.statusTags : undefined) : undefined;
    if (list) {
      const entry = list[Number(part)] ?? {};
      out[out.length - 1] += `[${String(entry.name ?? entry.tag)}]`;
    } else if (/^\d+$/.test(part)) out[out.length - 1] += `[${part}]`;
    else out.push(part);
  }
  // A missing name has no value to point at: we point at metadata, upstream names the field.
  return d.code === 'missing-name' ? 'metadata.name' : out.join('.');
}

describe(`${vectors._source.repo} ${vectors._source.path} ${vectors._source.test} (${vectors._source.commit})`, () => {
  const agreed: string[] = [];
  for (const c of vectors.cases) {
    it(`${c.name}${c.differs ? ' (differs on purpose)' : ''}`, async () => {
      const errors = (await validateCase(c)).filter((d) => d.severity === 'error');
      expect(errors.map((d) => ({ code: d.code, pointer: d.pointer }))).toEqual(c.ours);
      if (c.differs) {
        expect(c.differs).toMatch(/^docs\/[a-z-]+\.md#/);
        return;
      }
      // Agreement: one error per upstream error, on the same field, carrying upstream's detail text.
      expect(errors.map((d) => upstreamField(c, d))).toEqual(c.upstream.map((u) => u.field));
      errors.forEach((d, i) => {
        const u = c.upstream[i] as UpstreamError;
        if (u.detail !== '' && u.type !== 'Required') expect(d.message).toContain(u.detail);
        if (u.type === 'Required') expect(d.message).toMatch(/Required value/);
      });
      agreed.push(c.name);
    });
  }
  it('agrees with every case that records no documented difference', () => {
    const expected = vectors.cases.filter((c) => !c.differs).length;
    expect(agreed).toHaveLength(expected);
    expect(vectors.cases.length).toBe(21);
  });
});
