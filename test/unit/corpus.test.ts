/**
 * The real-world corpus (fixtures/corpus/openshift-library, copied from ../shared/corpus, or IMAGESTREAMS_CORPUS_DIR): every ImageStream must
 * validate with zero errors and every trigger annotation in its templates must parse. The corpus is required:
 * a missing corpus fails the test rather than skipping it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { annotations } from '../../src/reconcile/model.js';
import { isRecord } from '../../src/reconcile/objects.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { loadRepository } from '../../src/render/repository.js';
import { validateRepository } from '../../src/render/validate.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import { validateTriggersSchema } from '../../src/render/schemas.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = process.env.IMAGESTREAMS_CORPUS_DIR ?? path.resolve(here, '../../fixtures/corpus/openshift-library');

describe('openshift/library corpus', () => {
  it('is present (set IMAGESTREAMS_CORPUS_DIR to point elsewhere)', () => {
    expect(existsSync(corpus), `corpus not found at ${corpus}`).toBe(true);
  });

  it('validates all 532 ImageStreams (3,170 tags) with zero errors, and every template trigger parses', async () => {
    const repo = await loadRepository(['.'], { walk: defaultWalkOptions, limits: defaultLoadLimits, displayBase: corpus });
    const diagnostics = validateRepository(repo, { defaultNamespace: 'openshift' });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const streamFiles = new Set(repo.objects.filter((o) => o.kind === 'ImageStream').map((o) => o.location.file));
    expect(errors.filter((d) => streamFiles.has(d.file)).map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([]);
    // The corpus keeps per-architecture variants of the same stream side by side (duplicate-stream warnings). A
    // template that names such a stream is genuinely ambiguous in one repository: that, and only that, is reported.
    expect(errors.filter((d) => !streamFiles.has(d.file)).map((d) => d.code)).toEqual(
      errors.filter((d) => !streamFiles.has(d.file)).map(() => 'ambiguous-stream'),
    );
    expect(diagnostics.filter((d) => d.code === 'duplicate-stream').length).toBeGreaterThan(0);

    const streams = repo.objects.filter((o) => o.kind === 'ImageStream' && o.template === undefined);
    expect(streams).toHaveLength(532);
    const tags = streams.reduce((n, s) => {
      const spec = s.value.spec;
      return n + (isRecord(spec) && Array.isArray(spec.tags) ? spec.tags.length : 0);
    }, 0);
    expect(tags).toBe(3170);

    // Every trigger annotation inside the templates is JSON that matches the annotation schema.
    const templated = repo.objects.filter((o) => o.template !== undefined);
    const annotated = templated.filter((o) => {
      const metadata = o.value.metadata;
      return isRecord(metadata) && isRecord(metadata.annotations) && typeof metadata.annotations[annotations.triggers] === 'string';
    });
    expect(annotated.length).toBeGreaterThan(0);
    for (const o of annotated) {
      const raw = (o.value.metadata as { annotations: Record<string, string> }).annotations[annotations.triggers] as string;
      expect(validateTriggersSchema(JSON.parse(raw)), `${o.location.file} ${o.location.pointer}`).toEqual([]);
    }
    const templates = new Set(templated.map((o) => o.location.file));
    expect(templates.size).toBe(60);
  });
});
