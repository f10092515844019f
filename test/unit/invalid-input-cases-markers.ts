/**
 * Rows of the invalid-input table (invalid-inputs.test.ts) for setter markers (src/render/markers.ts,
 * src/reconcile/markers.ts) and Go-template files (src/render/go-template.ts).
 */
import type { InvalidInputCase } from './invalid-input-cases-metadata.js';

const stream =
  'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: web\n  namespace: ns\nspec:\n  tags:\n    - name: prod\n      from:\n        kind: DockerImage\n        name: quay.io/a/web:1\n';
const m = (streamTag = 'ns/web:prod', part = ''): string => `{"$imagestreamtag": "${streamTag}"${part ? `, "part": "${part}"` : ''}}`;

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
];
