/**
 * Setter markers: the words (readMarker), where they sit (findMarkers), and what they resolve to (planMarkers),
 * through the same stream status as triggers.
 */
import { describe, expect, it } from 'vitest';
import type { MarkerSite } from '../../src/reconcile/markers.js';
import { planMarkers, readMarker } from '../../src/reconcile/markers.js';
import { collectObjects } from '../../src/reconcile/objects.js';
import { findMarkers } from '../../src/render/markers.js';
import { LineIndex } from '../../src/render/positions.js';
import { goTemplateAction, inChartTemplates } from '../../src/render/go-template.js';

const digest = `sha256:${'ab'.repeat(32)}`;

function stream(namespace: string, name: string, tags: Record<string, { from?: Record<string, string>; ref: string; local?: boolean }>) {
  return {
    namespace,
    name,
    value: {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStream',
      metadata: { name, namespace },
      spec: {
        tags: Object.entries(tags).map(([tag, t]) => ({
          name: tag,
          ...(t.from ? { from: t.from } : {}),
          ...(t.local ? { referencePolicy: { type: 'Local' } } : {}),
        })),
      },
      status: {
        dockerImageRepository: 'registry.local:5000/shop/web',
        tags: Object.entries(tags).map(([tag, t]) => ({
          tag,
          items: [{ created: '2024-01-01T00:00:00Z', dockerImageReference: t.ref, image: digest, generation: 1 }],
        })),
      },
    },
  };
}

const site = (streamTag: string, part: MarkerSite['part'], current: unknown = 'old', pointer = '/image'): MarkerSite => ({
  file: 'values.yaml',
  document: 0,
  pointer,
  line: 1,
  streamTag,
  part,
  current,
});

describe('readMarker', () => {
  it('reads the stream tag and the part, the whole image by default', () => {
    expect(readMarker(' {"$imagestreamtag": "web:prod"}')).toEqual({ ok: true, streamTag: 'web:prod', part: 'image' });
    expect(readMarker('{"$imagestreamtag": "shop/web:prod", "part": "digest"}')).toEqual({
      ok: true,
      streamTag: 'shop/web:prod',
      part: 'digest',
    });
  });
  it('leaves other comments, including Flux markers, alone', () => {
    expect(readMarker(' just a comment')).toBeUndefined();
    expect(readMarker(' {"$imagepolicy": "flux-system:podinfo"}')).toBeUndefined();
  });
  it('says what is wrong with a marker of ours', () => {
    expect(readMarker('{"$imagestreamtag": web:prod}')).toMatchObject({ ok: false, error: expect.stringContaining('JSON') });
    expect(readMarker('{"$imagestreamtag": "web"}')).toMatchObject({ ok: false, error: expect.stringContaining('stream:tag') });
    expect(readMarker('{"$imagestreamtag": "a/b/c:d"}')).toMatchObject({ ok: false });
    expect(readMarker('{"$imagestreamtag": "web:prod", "part": "version"}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('"part" must be one of image, name, registry, repository, tag, digest'),
    });
    expect(readMarker('{"$imagestreamtag": "web:prod", "setter": "x"}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('"setter"'),
    });
  });
});

describe('findMarkers', () => {
  const find = (text: string) => findMarkers('f.yaml', text, new LineIndex(text));
  it('finds markers in every document of a stream, with the pointer and value of their scalar', () => {
    const text = [
      'a: 1',
      '---',
      'spec:',
      '  values:',
      '    - name: x',
      '      image: "quay.io/x:1" # {"$imagestreamtag": "x:y"}',
      '    - plain # {"$imagestreamtag": "x:z", "part": "tag"}',
      '',
    ].join('\n');
    const r = find(text);
    expect(r.problems).toEqual([]);
    expect(r.sites).toEqual([
      { file: 'f.yaml', document: 1, pointer: '/spec/values/0/image', line: 6, streamTag: 'x:y', part: 'image', current: 'quay.io/x:1' },
      { file: 'f.yaml', document: 1, pointer: '/spec/values/1', line: 7, streamTag: 'x:z', part: 'tag', current: 'plain' },
    ]);
  });
  it('costs nothing for a file without markers', () => {
    expect(find('a: [unclosed\n')).toEqual({ sites: [], problems: [] });
  });
  it('reads keys that need escaping in the pointer', () => {
    const r = find('a/b:\n  "c~d": v # {"$imagestreamtag": "x:y"}\n');
    expect(r.sites.map((s) => s.pointer)).toEqual(['/a~1b/c~0d']);
  });
});

describe('planMarkers', () => {
  const objects = collectObjects([
    {
      file: 'values.yaml',
      index: 0,
      value: { image: 'old' },
    },
  ]).objects;
  const web = stream('shop', 'web', {
    prod: { from: { kind: 'DockerImage', name: 'quay.io/shop/web:2.1' }, ref: `quay.io/shop/web@${digest}` },
    local: { from: { kind: 'DockerImage', name: 'quay.io/shop/web:2.1' }, ref: `quay.io/shop/web@${digest}`, local: true },
    follow: { from: { kind: 'ImageStreamTag', name: 'prod' }, ref: `quay.io/shop/web@${digest}` },
    pinned: { from: { kind: 'DockerImage', name: `quay.io/shop/web@${digest}` }, ref: `quay.io/shop/web@${digest}` },
  });
  const hub = stream('shop', 'nginx', {
    stable: { from: { kind: 'DockerImage', name: 'nginx:1.27' }, ref: `docker.io/library/nginx@${digest}` },
  });
  const values = (s: MarkerSite) => {
    const r = planMarkers([s], objects, [web, hub], 'default', {});
    return r.plans[0]?.changes[0]?.new ?? r.skips[0]?.code;
  };

  it('writes each part of a Source-policy tag', () => {
    expect(values(site('shop/web:prod', 'image'))).toBe(`quay.io/shop/web@${digest}`);
    expect(values(site('shop/web:prod', 'name'))).toBe('quay.io/shop/web');
    expect(values(site('shop/web:prod', 'registry'))).toBe('quay.io');
    expect(values(site('shop/web:prod', 'repository'))).toBe('shop/web');
    expect(values(site('shop/web:prod', 'tag'))).toBe('2.1');
    expect(values(site('shop/web:prod', 'digest'))).toBe(digest);
  });
  it('names Docker Hub as the registry of a name without a host', () => {
    expect(values(site('shop/nginx:stable', 'registry'))).toBe('docker.io');
    expect(values(site('shop/nginx:stable', 'repository'))).toBe('library/nginx');
  });
  it('writes the local registry under referencePolicy Local, with the stream tag as the tag', () => {
    expect(values(site('shop/web:local', 'image'))).toBe(`registry.local:5000/shop/web@${digest}`);
    expect(values(site('shop/web:local', 'name'))).toBe('registry.local:5000/shop/web');
    expect(values(site('shop/web:local', 'registry'))).toBe('registry.local:5000');
    expect(values(site('shop/web:local', 'tag'))).toBe('local');
  });
  it('follows a tracking tag to the registry tag, and refuses a tag part for a digest-pinned tag', () => {
    expect(values(site('shop/web:follow', 'tag'))).toBe('2.1');
    expect(values(site('shop/web:pinned', 'tag'))).toBe('marker-no-tag');
    expect(values(site('shop/web:pinned', 'digest'))).toBe(digest);
  });
  it('plans nothing when the value is already right, and skips what cannot resolve', () => {
    expect(planMarkers([site('shop/web:prod', 'tag', '2.1')], objects, [web], 'default', {}).plans).toEqual([]);
    expect(values(site('shop/web:nosuch', 'tag'))).toBe('no-image-yet');
    expect(values(site('web:prod', 'tag'))).toBe('marker-stream-not-found'); // default namespace, not shop
  });
  it('defaults the namespace to the enclosing object, and honours reconcile.imagePullers', () => {
    const cr = collectObjects([
      {
        file: 'values.yaml',
        index: 0,
        value: { apiVersion: 'x/v1', kind: 'Thing', metadata: { namespace: 'shop' }, spec: { image: 'old' } },
      },
    ]).objects;
    const s = site('web:prod', 'tag', 'old', '/spec/image');
    expect(planMarkers([s], cr, [web], 'default', {}).plans[0]?.changes[0]).toMatchObject({
      new: '2.1',
      cause: 'shop/web:prod',
      via: 'marker',
    });
    const other = site('shop/web:prod', 'tag');
    const refused = planMarkers([other], objects, [web], 'default', { imagePullers: new Map([['shop', ['prod']]]) });
    expect(refused.skips.map((k) => k.code)).toEqual(['cross-namespace-not-allowed']);
  });
});

describe('Go templates', () => {
  it('finds a template action outside quotes, and not inside quotes, block scalars or comments', () => {
    expect(goTemplateAction('replicas: {{ .Values.n }}\n')).toBe(10);
    expect(goTemplateAction('image: "{{ .Values.image }}"\n')).toBeUndefined();
    expect(goTemplateAction("image: '{{ .Values.image }}'\n")).toBeUndefined();
    expect(goTemplateAction('alert: |\n  {{ $labels.instance }} is down\n')).toBeUndefined();
    expect(goTemplateAction('a: 1 # {{ not an action }}\n')).toBeUndefined();
    expect(goTemplateAction('  {{- include "x" . | nindent 4 }}\n')).toBe(2);
  });
  it('knows a chart template by the Chart.yaml next to templates/', async () => {
    const present = new Set(['charts/web/Chart.yaml']);
    const exists = async (p: string) => present.has(p);
    expect(await inChartTemplates('charts/web/templates/deployment.yaml', exists)).toBe(true);
    expect(await inChartTemplates('charts/web/templates/sub/x.yaml', exists)).toBe(true);
    expect(await inChartTemplates('other/templates/deployment.yaml', exists)).toBe(false);
  });
});

describe('validateMarkers', () => {
  it('accepts a tag the stream has only in its status, or any tag of a whole-repository stream', async () => {
    const { validateMarkers } = await import('../../src/reconcile/markers.js');
    const { StreamIndex } = await import('../../src/reconcile/stream-index.js');
    const objects = collectObjects([
      {
        file: 's.yaml',
        index: 0,
        value: {
          apiVersion: 'image.openshift.io/v1',
          kind: 'ImageStream',
          metadata: { name: 'web' },
          status: { tags: [{ tag: 'old', items: [] }] },
        },
      },
      {
        file: 's.yaml',
        index: 1,
        value: {
          apiVersion: 'image.openshift.io/v1',
          kind: 'ImageStream',
          metadata: { name: 'all' },
          spec: { dockerImageRepository: 'quay.io/a/b' },
        },
      },
    ]).objects;
    const index = new StreamIndex(objects, 'default');
    const codes = (streamTag: string) => validateMarkers([site(streamTag, 'tag')], objects, index).map((f) => f.code);
    expect(codes('web:old')).toEqual([]);
    expect(codes('all:anything')).toEqual([]);
    expect(codes('web:new')).toEqual(['marker-tag-not-found']);
  });
});
