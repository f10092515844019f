/**
 * Rows of the invalid-input table (invalid-inputs.test.ts) for the ImageStream metadata rules (validate-metadata.ts),
 * empty tag names, the fields the OpenAPI definitions mark required, and workload images that are not strings.
 */
import type { DiagnosticCode } from '../../src/reconcile/codes.js';
import type { FixtureFiles } from '../helpers/fixture-repo.js';

export interface InvalidInputCase {
  readonly name: string;
  readonly files: FixtureFiles;
  readonly code: DiagnosticCode;
  readonly at: readonly [file: string, line: number, col: number];
  readonly message?: string | RegExp;
}

/** A stream `app` in `ns` with `meta` added under metadata (indented by 2) and one DockerImage tag. */
const withMeta = (meta: string, tags = '    - name: "1"\n      from:\n        kind: DockerImage\n        name: quay.io/a/b:1\n'): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: ns\n${meta}spec:\n  tags:\n${tags}`;

export const metadataCases: InvalidInputCase[] = [
  {
    name: 'generateName that is not a stream name prefix',
    files: { 'is.yaml': withMeta('  generateName: app-\n') },
    code: 'invalid-generate-name',
    at: ['is.yaml', 6, 17],
    message: /^metadata\.generateName: Invalid value: "app-": must match/,
  },
  {
    name: 'namespace that is not an RFC 1123 label',
    files: { 'is.yaml': withMeta('').replace('namespace: ns', 'namespace: My_NS') },
    code: 'invalid-namespace',
    at: ['is.yaml', 5, 14],
    message: /a lowercase RFC 1123 label must consist of/,
  },
  {
    name: 'negative metadata.generation',
    files: { 'is.yaml': withMeta('  generation: -1\n') },
    code: 'negative-generation',
    at: ['is.yaml', 6, 15],
    message: /must be greater than or equal to 0/,
  },
  {
    name: 'label value with a space',
    files: { 'is.yaml': withMeta('  labels:\n    app: "has space"\n') },
    code: 'invalid-label',
    at: ['is.yaml', 7, 10],
    message: /a valid label must be an empty string/,
  },
  {
    name: 'annotation key with a space',
    files: { 'is.yaml': withMeta('  annotations:\n    bad key: x\n') },
    code: 'invalid-annotation',
    at: ['is.yaml', 7, 5],
    message: /^metadata\.annotations: Invalid value: "bad key": name part must consist of/,
  },
  {
    name: 'annotations over 256 KiB',
    files: { 'is.yaml': withMeta(`  annotations:\n    note: ${'x'.repeat(300 * 1024)}\n`) },
    code: 'annotations-too-large',
    at: ['is.yaml', 7, 5],
    message: /may not be more than 262144 bytes/,
  },
  {
    name: 'owner reference with an empty uid',
    files: { 'is.yaml': withMeta('  ownerReferences:\n    - apiVersion: v1\n      kind: ConfigMap\n      name: c\n      uid: ""\n') },
    code: 'invalid-owner-reference',
    at: ['is.yaml', 10, 12],
    message: /^metadata\.ownerReferences\.uid: Invalid value: "": must not be empty/,
  },
  {
    name: 'finalizer that is not a qualified name',
    files: { 'is.yaml': withMeta('  finalizers:\n    - a/b/c\n') },
    code: 'invalid-finalizer',
    at: ['is.yaml', 7, 7],
    message: /a qualified name must consist of/,
  },
  {
    name: 'managedFields operation other than Apply/Update',
    files: { 'is.yaml': withMeta('  managedFields:\n    - manager: kubectl\n      operation: Patch\n') },
    code: 'invalid-managed-fields',
    at: ['is.yaml', 8, 18],
    message: /must be `Apply` or `Update`/,
  },
  {
    name: 'spec tag with an empty name',
    files: { 'is.yaml': withMeta('', '    - name: ""\n      from:\n        kind: DockerImage\n        name: quay.io/a/b:1\n') },
    code: 'empty-tag-name',
    at: ['is.yaml', 8, 13],
    message: /^spec\.tags\[0\]\.name: Required value/,
  },
  {
    name: 'lookupPolicy without local (OpenAPI required)',
    files: { 'is.yaml': withMeta('').replace('spec:\n', 'spec:\n  lookupPolicy: {}\n') },
    code: 'missing-field',
    at: ['is.yaml', 7, 17],
    message: /missing required field "local"/,
  },
  {
    name: 'referencePolicy without type (OpenAPI required)',
    files: {
      'is.yaml': withMeta(
        '',
        '    - name: "1"\n      from:\n        kind: DockerImage\n        name: quay.io/a/b:1\n      referencePolicy: {}\n',
      ),
    },
    code: 'missing-field',
    at: ['is.yaml', 12, 24],
    message: /missing required field "type"/,
  },
  {
    name: 'unquoted y as a container image (a YAML 1.1 boolean)',
    files: {
      'p.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: y\n',
    },
    code: 'image-not-a-string',
    at: ['p.yaml', 8, 14],
    message: /^spec\.containers\[0\]\.image: Invalid value: true: must be a string \(YAML 1\.1 reads/,
  },
];
