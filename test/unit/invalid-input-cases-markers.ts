/**
 * Rows of the invalid-input table (invalid-inputs.test.ts) for setter markers (src/render/markers.ts,
 * src/reconcile/markers.ts), Go-template files (src/render/go-template.ts), kustomize images (kustomize.ts) and the
 * tag annotations of policies, holds and maturity (policy.ts, holds.ts, maturity.ts).
 */
import type { InvalidInputCase } from './invalid-input-cases-metadata.js';

const stream =
  'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  tags:\n    - name: prod\n      from:\n        kind: DockerImage\n        name: quay.io/a/web:1\n';
const m = (streamTag = 'ns/web:prod', part = ''): string => `{"$imagestreamtag": "${streamTag}"${part ? `, "part": "${part}"` : ''}}`;

const tagged = (annotations: string, from = 'quay.io/a/web:1'): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  tags:\n    - name: prod\n      annotations:\n${annotations}      from:\n        kind: DockerImage\n        name: ${from}\n`;

export const markerCases: InvalidInputCase[] = [
  {
    name: 'marker that is not JSON',
    files: { 'is.yaml': stream, 'v.yaml': 'image:\n  tag: x # {"$imagestreamtag": ns/web:prod}\n' },
    code: 'marker-invalid',
    at: ['v.yaml', 2, 10],
    message: /not a JSON object/,
  },
  {
    name: 'marker with an unknown part',
    files: { 'is.yaml': stream, 'v.yaml': `image:\n  tag: x # ${m('ns/web:prod', 'version')}\n` },
    code: 'marker-invalid',
    at: ['v.yaml', 2, 10],
    message: /"part" must be one of/,
  },
  {
    name: 'marker alone on its line',
    files: { 'is.yaml': stream, 'v.yaml': `image:\n  # ${m()}\n  tag: x\n` },
    code: 'marker-without-value',
    at: ['v.yaml', 2, 3],
  },
  {
    name: 'marker after a key whose value is a mapping',
    files: { 'is.yaml': stream, 'v.yaml': `image: # ${m()}\n  tag: x\n` },
    code: 'marker-on-key',
    at: ['v.yaml', 1, 8],
  },
  {
    name: 'marker after a flow collection',
    files: { 'is.yaml': stream, 'v.yaml': `image: {tag: x} # ${m('ns/web:prod', 'tag')}\n` },
    code: 'marker-on-collection',
    at: ['v.yaml', 1, 17],
  },
  {
    name: 'marker on an anchored value',
    files: { 'is.yaml': stream, 'v.yaml': `image: &img quay.io/a/web:1 # ${m()}\nother: *img\n` },
    code: 'marker-on-alias',
    at: ['v.yaml', 1, 29],
  },
  {
    name: 'marker text inside a block scalar',
    files: { 'is.yaml': stream, 'v.yaml': `script: |\n  docker pull quay.io/a/web:1 # ${m()}\n` },
    code: 'marker-in-block-scalar',
    at: ['v.yaml', 2, 33],
  },
  {
    name: 'marker naming a stream the repository does not hold (warning)',
    files: { 'is.yaml': stream, 'v.yaml': `image: x # ${m('ns/nosuch:prod')}\n` },
    code: 'marker-stream-not-found',
    at: ['v.yaml', 1, 8],
  },
  {
    name: 'marker naming a tag its stream does not have (warning)',
    files: { 'is.yaml': stream, 'v.yaml': `image: x # ${m('ns/web:canary')}\n` },
    code: 'marker-tag-not-found',
    at: ['v.yaml', 1, 8],
  },
  {
    name: 'a Go template outside a chart (warning; not read)',
    files: { 'd.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n' },
    code: 'go-template',
    at: ['d.yaml', 4, 9],
  },
  {
    name: 'kustomize images annotation that is not a JSON array of rules',
    files: {
      'is.yaml': stream,
      'kustomization.yaml': `metadata:\n  annotations:\n    imagestreams.dev/images: '[{"name": "quay.io/a/web:1", "from": {"kind": "ImageStreamTag", "name": "web:prod"}}]'\nresources: []\n`,
    },
    code: 'kustomize-images-invalid',
    at: ['kustomization.yaml', 3, 30],
    message: /without a tag or digest/,
  },
  {
    name: 'kustomize image following a stream the repository does not hold (warning)',
    files: {
      'is.yaml': stream,
      'kustomization.yaml': `namespace: ns\nmetadata:\n  annotations:\n    imagestreams.dev/images: '[{"name": "quay.io/a/web", "from": {"kind": "ImageStreamTag", "name": "nosuch:prod"}}]'\n`,
    },
    code: 'kustomize-stream-not-found',
    at: ['kustomization.yaml', 4, 30],
  },
  {
    name: 'kustomize image following a tag its stream does not have (warning)',
    files: {
      'is.yaml': stream,
      'kustomization.yaml': `namespace: ns\nmetadata:\n  annotations:\n    imagestreams.dev/images: '[{"name": "quay.io/a/web", "from": {"kind": "ImageStreamTag", "name": "web:canary"}}]'\n`,
    },
    code: 'kustomize-tag-not-found',
    at: ['kustomization.yaml', 4, 30],
  },
  {
    name: 'tag policy with a regular expression that does not compile',
    files: { 'is.yaml': tagged(`        imagestreams.dev/policy: '{"pattern": "^main-([0-9+$", "order": "numerical"}'\n`) },
    code: 'invalid-tag-policy',
    at: ['is.yaml', 10, 34],
    message: /"pattern" is not a valid regular expression/,
  },
  {
    name: 'tag policy with a semver constraint that does not parse',
    files: { 'is.yaml': tagged(`        imagestreams.dev/policy: '{"semver": ">=1.2 <<2"}'\n`) },
    code: 'invalid-tag-policy',
    at: ['is.yaml', 10, 34],
    message: /^"semver": /,
  },
  {
    name: 'tag policy with an unknown order',
    files: { 'is.yaml': tagged(`        imagestreams.dev/policy: '{"pattern": "^v", "order": "newest"}'\n`) },
    code: 'invalid-tag-policy',
    at: ['is.yaml', 10, 34],
    message: /"order" must be one of semver, numerical, alphabetical, first-seen/,
  },
  {
    name: 'tag policy on a tag pinned by digest',
    files: { 'is.yaml': tagged(`        imagestreams.dev/policy: '{"semver": "^1"}'\n`, `quay.io/a/web@sha256:${'a'.repeat(64)}`) },
    code: 'tag-policy-not-repository',
    at: ['is.yaml', 12, 9],
    message: /names a digest/,
  },
  {
    name: 'hold that is not "true" or an object of until, reason, image',
    files: { 'is.yaml': tagged(`        imagestreams.dev/hold: '{"until": "tomorrow"}'\n`) },
    code: 'invalid-hold',
    at: ['is.yaml', 10, 32],
    message: /"until" must be an RFC 3339 time/,
  },
  {
    name: 'min-age that is not a duration',
    files: { 'is.yaml': tagged(`        imagestreams.dev/min-age: a day\n`) },
    code: 'invalid-min-age',
    at: ['is.yaml', 10, 35],
  },
];
