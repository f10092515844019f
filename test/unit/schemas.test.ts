import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { SchemaFinding } from '../../src/render/schemas.js';
import { validateImageStreamSchema, validateTriggersSchema } from '../../src/render/schemas.js';

const corpusRoot = '/work/shared/corpus/openshift-library';

type Json = Record<string, unknown>;

const minimal = (): Json => ({
  apiVersion: 'image.openshift.io/v1',
  kind: 'ImageStream',
  metadata: { name: 'ruby' },
  spec: { tags: [{ name: 'latest', from: { kind: 'DockerImage', name: 'quay.io/example/ruby:3.3' } }] },
});

/** A stream as `oc get -o yaml` shows it after an import (plus a failed tag), with the nulls OpenShift emits. */
const full = (): Json => ({
  apiVersion: 'image.openshift.io/v1',
  kind: 'ImageStream',
  metadata: {
    name: 'ruby',
    namespace: 'demo',
    uid: '4f0a3a7e-8c1c-4b0e-9a53-1f1f3d7e2c11',
    resourceVersion: '123456',
    generation: 3,
    creationTimestamp: null,
    labels: { app: 'ruby' },
    annotations: { 'openshift.io/image.dockerRepositoryCheck': '2024-05-01T10:00:00Z' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'a-b-c', controller: true, blockOwnerDeletion: true }],
    managedFields: [
      {
        apiVersion: 'image.openshift.io/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:tags': {} } },
        manager: 'oc',
        operation: 'Update',
        time: '2024-05-01T10:00:00Z',
      },
    ],
    finalizers: [],
  },
  spec: {
    dockerImageRepository: '',
    lookupPolicy: { local: false },
    tags: [
      {
        name: '3.3',
        annotations: null,
        from: { kind: 'DockerImage', name: 'quay.io/example/ruby:3.3' },
        generation: 2,
        importPolicy: { importMode: 'Legacy', scheduled: true, insecure: false },
        referencePolicy: { type: 'Source' },
      },
      {
        name: 'broken',
        annotations: { description: 'does not exist' },
        from: { kind: 'DockerImage', name: 'quay.io/example/nope:1' },
        generation: null,
        importPolicy: { importMode: 'PreserveOriginal' },
        referencePolicy: { type: 'Local' },
      },
      {
        name: 'latest',
        annotations: null,
        from: { kind: 'ImageStreamTag', name: '3.3' },
        generation: 2,
        importPolicy: {},
        reference: false,
        referencePolicy: { type: '' },
      },
      { name: 'pinned', from: { kind: 'ImageStreamImage', name: `ruby@sha256:${'a'.repeat(64)}`, namespace: 'demo' } },
    ],
  },
  status: {
    dockerImageRepository: 'image-registry.openshift-image-registry.svc:5000/demo/ruby',
    publicDockerImageRepository: 'default-route-openshift-image-registry.apps.example.com/demo/ruby',
    tags: [
      {
        tag: '3.3',
        items: [
          {
            created: '2024-05-01T10:00:00Z',
            dockerImageReference: `quay.io/example/ruby@sha256:${'a'.repeat(64)}`,
            image: `sha256:${'a'.repeat(64)}`,
            generation: 2,
          },
          {
            created: '2024-04-01T09:30:00.123456+02:00',
            dockerImageReference: `quay.io/example/ruby@sha256:${'b'.repeat(64)}`,
            image: `sha256:${'b'.repeat(64)}`,
            generation: 1,
          },
        ],
      },
      {
        tag: 'broken',
        items: null,
        conditions: [
          {
            type: 'ImportSuccess',
            status: 'False',
            lastTransitionTime: '2024-05-01T10:00:00Z',
            reason: 'NotFound',
            message: 'dockerimage.image.openshift.io "quay.io/example/nope:1" not found',
            generation: 3,
          },
        ],
      },
    ],
  },
});

/** Deep-ish mutation helper: `at(obj, 'spec', 'tags', 0)` returns the nested object to edit. */
function at(obj: Json, ...keys: Array<string | number>): Json {
  let v: unknown = obj;
  for (const k of keys) v = (v as Record<string | number, unknown>)[k];
  return v as Json;
}

function only(findings: readonly SchemaFinding[]): SchemaFinding {
  expect(findings).toHaveLength(1);
  return findings[0] as SchemaFinding;
}

describe('validateImageStreamSchema', () => {
  it('accepts a minimal stream', () => {
    expect(validateImageStreamSchema(minimal())).toEqual([]);
  });

  it('accepts a stream with no spec at all and an empty status', () => {
    expect(
      validateImageStreamSchema({ apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'x' }, status: {} }),
    ).toEqual([]);
  });

  it('accepts a realistic full stream with status, conditions and the nulls OpenShift emits', () => {
    expect(validateImageStreamSchema(full())).toEqual([]);
  });

  it('accepts the legacy apiVersion v1', () => {
    expect(validateImageStreamSchema({ ...minimal(), apiVersion: 'v1' })).toEqual([]);
  });

  it('accepts null spec.tags, status.tags and map fields', () => {
    const s = full();
    at(s, 'spec').tags = null;
    at(s, 'status').tags = null;
    at(s, 'metadata').annotations = null;
    at(s, 'metadata').labels = null;
    expect(validateImageStreamSchema(s)).toEqual([]);
  });

  it('rejects an unknown apiVersion and kind', () => {
    const f = validateImageStreamSchema({ ...minimal(), apiVersion: 'image.openshift.io/v2', kind: 'ImageStreams' });
    expect(f).toEqual([
      { pointer: '/apiVersion', keyword: 'enum', message: 'must be one of: image.openshift.io/v1, v1' },
      { pointer: '/kind', keyword: 'const', message: 'must be ImageStream' },
    ]);
  });

  it('reports an unknown spec field at its key', () => {
    const s = minimal();
    at(s, 'spec').fooo = true;
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/spec/fooo',
      keyword: 'additionalProperties',
      message: 'unknown field "fooo"',
    });
  });

  it('reports an unknown tag field at its key (escaped per RFC 6901)', () => {
    const s = minimal();
    at(s, 'spec', 'tags', 0)['import/Policy~'] = {};
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/spec/tags/0/import~1Policy~0',
      keyword: 'additionalProperties',
      message: 'unknown field "import/Policy~"',
    });
  });

  it('reports unknown fields in metadata, status and the top level', () => {
    const s = full();
    at(s, 'metadata').clusterNam = 'x';
    at(s, 'status', 'tags', 0, 'items', 0).digest = 'x';
    s.extra = 1;
    expect(validateImageStreamSchema(s).map((f) => [f.pointer, f.keyword])).toEqual([
      ['/extra', 'additionalProperties'],
      ['/metadata/clusterNam', 'additionalProperties'],
      ['/status/tags/0/items/0/digest', 'additionalProperties'],
    ]);
  });

  it('rejects a bad from.kind', () => {
    const s = minimal();
    at(s, 'spec', 'tags', 0, 'from').kind = 'DockerImages';
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/spec/tags/0/from/kind',
      keyword: 'enum',
      message: 'must be one of: DockerImage, ImageStreamTag, ImageStreamImage',
    });
  });

  it('requires from.kind and from.name', () => {
    const s = minimal();
    at(s, 'spec', 'tags', 0).from = {};
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/spec/tags/0/from', keyword: 'required', message: 'missing required field "kind"' },
      { pointer: '/spec/tags/0/from', keyword: 'required', message: 'missing required field "name"' },
    ]);
  });

  it('rejects a bad referencePolicy.type', () => {
    const s = minimal();
    at(s, 'spec', 'tags', 0).referencePolicy = { type: 'Remote' };
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/spec/tags/0/referencePolicy/type',
      keyword: 'enum',
      message: 'must be one of: "", Source, Local',
    });
  });

  it('rejects a bad importMode', () => {
    const s = minimal();
    at(s, 'spec', 'tags', 0).importPolicy = { importMode: 'legacy' };
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/spec/tags/0/importPolicy/importMode',
      keyword: 'enum',
      message: 'must be one of: "", Legacy, PreserveOriginal',
    });
  });

  it('rejects a bad condition status and type', () => {
    const s = full();
    const condition = at(s, 'status', 'tags', 1, 'conditions', 0);
    condition.status = 'false';
    condition.type = 'Imported';
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/status/tags/1/conditions/0/status', keyword: 'enum', message: 'must be one of: True, False, Unknown' },
      { pointer: '/status/tags/1/conditions/0/type', keyword: 'enum', message: 'must be one of: ImportSuccess' },
    ]);
  });

  it('rejects a generation given as a string (one finding, no enum/format noise)', () => {
    const s = full();
    at(s, 'spec', 'tags', 0).generation = '2';
    at(s, 'status', 'tags', 0, 'items', 0).generation = '2';
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/spec/tags/0/generation', keyword: 'type', message: 'must be an integer or null, not a string' },
      { pointer: '/status/tags/0/items/0/generation', keyword: 'type', message: 'must be an integer, not a string' },
    ]);
  });

  it('rejects a non-integer generation', () => {
    const s = minimal();
    at(s, 'spec', 'tags', 0).generation = 1.5;
    expect(only(validateImageStreamSchema(s))).toMatchObject({ pointer: '/spec/tags/0/generation', keyword: 'type' });
  });

  it('reports a missing tag name at the tag', () => {
    const s = minimal();
    delete at(s, 'spec', 'tags', 0).name;
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/spec/tags/0',
      keyword: 'required',
      message: 'missing required field "name"',
    });
  });

  it('reports a missing status tag name', () => {
    const s = full();
    delete at(s, 'status', 'tags', 0).tag;
    expect(only(validateImageStreamSchema(s))).toEqual({
      pointer: '/status/tags/0',
      keyword: 'required',
      message: 'missing required field "tag"',
    });
  });

  it('rejects a bad date-time', () => {
    const s = full();
    at(s, 'metadata').creationTimestamp = 'yesterday';
    at(s, 'status', 'tags', 0, 'items', 0).created = '2024-05-01 10:00:00Z';
    at(s, 'status', 'tags', 1, 'conditions', 0).lastTransitionTime = '2024-02-30T10:00:00Z';
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/metadata/creationTimestamp', keyword: 'format', message: 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z' },
      {
        pointer: '/status/tags/0/items/0/created',
        keyword: 'format',
        message: 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z',
      },
      {
        pointer: '/status/tags/1/conditions/0/lastTransitionTime',
        keyword: 'format',
        message: 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z',
      },
    ]);
  });

  it('rejects a timestamp without a time zone', () => {
    const s = minimal();
    at(s, 'metadata').creationTimestamp = '2024-05-01T10:00:00';
    expect(only(validateImageStreamSchema(s))).toMatchObject({ pointer: '/metadata/creationTimestamp', keyword: 'format' });
  });

  it('rejects non-string annotation and label values (e.g. an unquoted YAML number)', () => {
    const s = minimal();
    at(s, 'metadata').annotations = { version: 1.0 };
    at(s, 'spec', 'tags', 0).annotations = { supports: true };
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/metadata/annotations/version', keyword: 'type', message: 'must be a string, not an integer' },
      { pointer: '/spec/tags/0/annotations/supports', keyword: 'type', message: 'must be a string, not a boolean' },
    ]);
  });

  it('rejects a non-boolean lookupPolicy.local and an unknown lookupPolicy field', () => {
    const s = minimal();
    at(s, 'spec').lookupPolicy = { local: 'true', Local: true };
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/spec/lookupPolicy/Local', keyword: 'additionalProperties', message: 'unknown field "Local"' },
      { pointer: '/spec/lookupPolicy/local', keyword: 'type', message: 'must be a boolean, not a string' },
    ]);
  });

  it('rejects a spec that is not an object and requires apiVersion and kind', () => {
    expect(validateImageStreamSchema({ metadata: { name: 'x' }, spec: [] })).toEqual([
      { pointer: '', keyword: 'required', message: 'missing required field "apiVersion"' },
      { pointer: '', keyword: 'required', message: 'missing required field "kind"' },
      { pointer: '/spec', keyword: 'type', message: 'must be an object, not an array' },
    ]);
  });

  it('sorts findings by pointer with numeric array indexes', () => {
    const s = minimal();
    const tags = at(s, 'spec').tags as Json[];
    for (let i = 1; i <= 11; i++) tags.push({ name: `t${i}`, bogus: i });
    expect(validateImageStreamSchema(s).map((f) => f.pointer)).toEqual(Array.from({ length: 11 }, (_, i) => `/spec/tags/${i + 1}/bogus`));
  });

  it('requires the identity fields of an owner reference', () => {
    const s = minimal();
    at(s, 'metadata').ownerReferences = [{ kind: 'Deployment', name: 'web' }];
    expect(validateImageStreamSchema(s)).toEqual([
      { pointer: '/metadata/ownerReferences/0', keyword: 'required', message: 'missing required field "apiVersion"' },
      { pointer: '/metadata/ownerReferences/0', keyword: 'required', message: 'missing required field "uid"' },
    ]);
  });
});

describe('validateTriggersSchema', () => {
  const trigger = (): Json => ({
    from: { kind: 'ImageStreamTag', name: 'ruby:latest', namespace: 'demo' },
    fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image',
  });

  it('accepts a valid trigger list', () => {
    expect(
      validateTriggersSchema([
        trigger(),
        { ...trigger(), paused: false },
        { from: { kind: 'ImageStreamTag', name: 'a:b', apiVersion: 'image.openshift.io/v1' }, fieldPath: 'x', paused: true },
      ]),
    ).toEqual([]);
    expect(validateTriggersSchema([])).toEqual([]);
  });

  it('accepts paused as the strings "true" and "false"', () => {
    expect(
      validateTriggersSchema([
        { ...trigger(), paused: 'true' },
        { ...trigger(), paused: 'false' },
      ]),
    ).toEqual([]);
  });

  it('rejects paused "yes"', () => {
    expect(only(validateTriggersSchema([{ ...trigger(), paused: 'yes' }]))).toEqual({
      pointer: '/0/paused',
      keyword: 'enum',
      message: 'must be one of: true, false, "true", "false"',
    });
  });

  it('rejects a missing fieldPath', () => {
    const t = trigger();
    delete t.fieldPath;
    expect(only(validateTriggersSchema([trigger(), t]))).toEqual({
      pointer: '/1',
      keyword: 'required',
      message: 'missing required field "fieldPath"',
    });
  });

  it('rejects a missing from', () => {
    expect(only(validateTriggersSchema([{ fieldPath: 'spec.template.spec.containers[0].image' }]))).toEqual({
      pointer: '/0',
      keyword: 'required',
      message: 'missing required field "from"',
    });
  });

  it('rejects a value that is not an array', () => {
    expect(only(validateTriggersSchema(trigger()))).toEqual({ pointer: '', keyword: 'type', message: 'must be an array, not an object' });
    expect(only(validateTriggersSchema('[]'))).toMatchObject({ pointer: '', keyword: 'type' });
  });

  it('rejects unknown fields and non-string from fields', () => {
    expect(validateTriggersSchema([{ ...trigger(), fieldpath: 'x', from: { kind: 'ImageStreamTag', name: 5, tag: 'x' } }])).toEqual([
      { pointer: '/0/fieldpath', keyword: 'additionalProperties', message: 'unknown field "fieldpath"' },
      { pointer: '/0/from/name', keyword: 'type', message: 'must be a string, not an integer' },
      { pointer: '/0/from/tag', keyword: 'additionalProperties', message: 'unknown field "tag"' },
    ]);
  });

  it('accepts any from.kind string (the semantic layer reports unsupported kinds)', () => {
    expect(validateTriggersSchema([{ ...trigger(), from: { kind: 'DockerImage', name: 'x' } }])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The openshift/library corpus: every ImageStream there is one OpenShift accepts.

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (/\.(json|ya?ml)$/i.test(entry.name)) yield full;
  }
}

interface CorpusObject {
  readonly file: string;
  readonly value: unknown;
  readonly template: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function corpusObjects(): CorpusObject[] {
  const out: CorpusObject[] = [];
  for (const file of files(corpusRoot)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (!('errors' in doc) || doc.errors.length > 0) throw new Error(`${file}: does not parse`);
      const value: unknown = doc.toJS();
      if (!isRecord(value)) continue;
      if (value.kind === 'List' && Array.isArray(value.items))
        for (const item of value.items) out.push({ file, value: item, template: false });
      else if (value.kind === 'Template' && Array.isArray(value.objects))
        for (const item of value.objects) out.push({ file, value: item, template: true });
      else out.push({ file, value, template: false });
    }
  }
  return out;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    v = Array.isArray(v) ? v[Number(key)] : isRecord(v) ? v[key] : undefined;
  }
  return v;
}

describe('openshift/library corpus', () => {
  const objects = corpusObjects();
  const streams = objects.filter((o) => !o.template && isRecord(o.value) && o.value.kind === 'ImageStream');

  it('holds the 532 ImageStreams the corpus README counts', () => {
    expect(streams).toHaveLength(532);
  });

  it('every ImageStream passes the schema with zero findings', () => {
    const failures = streams.flatMap((s) =>
      validateImageStreamSchema(s.value).map((f) => `${path.relative(corpusRoot, s.file)}: ${f.pointer}: ${f.message}`),
    );
    expect(failures).toEqual([]);
  });

  it('every ImageStream inside a Template passes, apart from values holding template parameters', () => {
    const templated = objects.filter((o) => o.template && isRecord(o.value) && o.value.kind === 'ImageStream');
    expect(templated.length).toBeGreaterThan(0);
    const failures = templated.flatMap((s) =>
      validateImageStreamSchema(s.value)
        .filter((f) => {
          const v = valueAt(s.value, f.pointer);
          return !(typeof v === 'string' && /\$\{\{?[A-Za-z0-9_]+\}?\}/.test(v));
        })
        .map((f) => `${path.relative(corpusRoot, s.file)}: ${f.pointer}: ${f.message}`),
    );
    expect(failures).toEqual([]);
  });

  it('every image.openshift.io/triggers annotation in the corpus passes the triggers schema', () => {
    const values: unknown[] = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (isRecord(v)) {
        const metadata = v.metadata;
        const notes = isRecord(metadata) ? metadata.annotations : undefined;
        const raw = isRecord(notes) ? notes['image.openshift.io/triggers'] : undefined;
        if (typeof raw === 'string') values.push(JSON.parse(raw));
        Object.values(v).forEach(visit);
      }
    };
    objects.forEach((o) => {
      visit(o.value);
    });
    expect(values.length).toBeGreaterThan(0);
    expect(values.flatMap((v) => validateTriggersSchema(v))).toEqual([]);
  });
});
