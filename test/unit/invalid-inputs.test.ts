/**
 * The invalid-input table: every rule, plus the hostile inputs, each placed at the right file:line:col.
 * Each case is a small repository; `at` is the diagnostic we expect (1-based line and column).
 */
import { describe, expect, it } from 'vitest';
import { diagnosticCodes } from '../../src/reconcile/codes.js';
import type { DiagnosticCode } from '../../src/reconcile/codes.js';
import type { FixtureFiles } from '../helpers/fixture-repo.js';
import { validateFixture } from '../helpers/fixture-repo.js';
import { metadataCases } from './invalid-input-cases-metadata.js';
import { markerCases } from './invalid-input-cases-markers.js';

interface Case {
  readonly name: string;
  readonly files: FixtureFiles;
  readonly code: DiagnosticCode;
  readonly at: readonly [file: string, line: number, col: number];
  readonly message?: string | RegExp;
}

/** An ImageStream named `app` in namespace `ns` whose spec.tags are `tags` (YAML lines indented by 4). */
const stream = (tags: string, extra = ''): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: ns\nspec:\n${extra}  tags:\n${tags}`;
const dockerTag = (name: string, ref: string): string =>
  `    - name: "${name}"\n      from:\n        kind: DockerImage\n        name: ${ref}\n`;
/** A Deployment in `ns` with one container `web` (and init container `init`) and the given triggers JSON. */
const deployment = (triggers: string, kind = 'Deployment', apiVersion = 'apps/v1'): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: web\n  namespace: ns\n  annotations:\n    image.openshift.io/triggers: '${triggers}'\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: init\n          image: busybox\n      containers:\n        - name: web\n          image: nginx\n`;
const trig = (name: string, fieldPath: string, extra = ''): string =>
  `{"from":{"kind":"ImageStreamTag","name":"${name}"${extra}},"fieldPath":"${fieldPath}"}`;
const good = 'spec.template.spec.containers[?(@.name==\\"web\\")].image';
const base = { 'is.yaml': stream(dockerTag('1', 'quay.io/org/app:1')) };

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
for (let i = 1; i < 12; i += 1)
  bomb.push(
    `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
      .fill(`*${String.fromCharCode(96 + i)}`)
      .join(',')}]`,
  );

const cases: Case[] = [
  // --- reading files
  {
    name: 'YAML syntax error',
    files: { 'bad.yaml': 'apiVersion: v1\nkind: ImageStream\nmetadata: {name: [unclosed\n' },
    code: 'yaml-syntax',
    at: ['bad.yaml', 4, 1],
  },
  {
    name: 'YAML bad indentation',
    files: { 'bad.yaml': 'kind: ImageStream\nmetadata:\n  name: a\n name: b\n' },
    code: 'yaml-syntax',
    at: ['bad.yaml', 4, 1],
  },
  {
    name: 'JSON syntax error',
    files: { 'bad.json': '{\n  "kind": "ImageStream",\n  "metadata": {"name": "a",}\n}\n' },
    code: 'json-syntax',
    at: ['bad.json', 3, 28],
  },
  {
    name: 'duplicate key in YAML',
    files: { 'd.yaml': 'apiVersion: v1\nkind: ImageStream\nmetadata:\n  name: a\n  name: b\n' },
    code: 'duplicate-key',
    at: ['d.yaml', 5, 3],
  },
  {
    name: 'duplicate key in JSON',
    files: { 'd.json': '{"apiVersion": "v1", "kind": "ImageStream",\n "metadata": {"name": "a", "name": "b"}}\n' },
    code: 'duplicate-key',
    at: ['d.json', 2, 28],
  },
  { name: 'alias bomb (billion laughs)', files: { 'bomb.yaml': `${bomb.join('\n')}\n` }, code: 'alias-limit', at: ['bomb.yaml', 1, 1] },
  { name: '20 MiB file', files: { 'big.yaml': `# ${'x'.repeat(20 * 1024 * 1024)}\n` }, code: 'file-too-large', at: ['big.yaml', 1, 1] },
  { name: 'deep nesting in YAML', files: { 'deep.yaml': `a: ${deep(500)}\n` }, code: 'nesting-too-deep', at: ['deep.yaml', 1, 1] },
  { name: 'deep nesting in JSON', files: { 'deep.json': deep(100_000) }, code: 'nesting-too-deep', at: ['deep.json', 1, 101] },
  {
    name: 'invalid UTF-8',
    files: {
      'u.yaml': Buffer.concat([Buffer.from('kind: ImageStream\nmetadata:\n  name: caf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
    },
    code: 'invalid-utf8',
    at: ['u.yaml', 3, 12],
  },
  {
    name: 'symlink pointing outside',
    files: { 'link.yaml': { symlink: '/etc/hostname' } },
    code: 'symlink-outside-repository',
    at: ['link.yaml', 1, 1],
  },
  {
    name: 'List item that is not an object',
    files: { 'l.yaml': 'apiVersion: v1\nkind: List\nitems:\n  - 42\n' },
    code: 'invalid-list-item',
    at: ['l.yaml', 4, 5],
  },
  {
    name: 'unknown ImageStream apiVersion',
    files: { 'v.yaml': 'apiVersion: image.openshift.io/v2\nkind: ImageStream\nmetadata:\n  name: a\n' },
    code: 'unknown-api-version',
    at: ['v.yaml', 1, 13],
  },
  // --- schema
  {
    name: 'tag without name',
    files: { 'is.yaml': stream('    - from:\n        kind: DockerImage\n        name: quay.io/a/b:1\n') },
    code: 'missing-field',
    at: ['is.yaml', 8, 7],
  },
  {
    name: 'unknown spec field (typo)',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1'), '  lookupPolicyy: {local: true}\n') },
    code: 'unknown-field',
    at: ['is.yaml', 7, 3],
  },
  {
    name: 'generation as a string',
    files: { 'is.yaml': stream(`${dockerTag('1', 'quay.io/a/b:1')}      generation: "2"\n`) },
    code: 'wrong-type',
    at: ['is.yaml', 12, 19],
  },
  {
    name: 'condition status not True/False/Unknown',
    files: {
      'is.yaml': `${stream(dockerTag('1', 'quay.io/a/b:1'))}status:\n  dockerImageRepository: ""\n  tags:\n    - tag: "1"\n      items: null\n      conditions:\n        - type: ImportSuccess\n          status: Maybe\n          lastTransitionTime: "2024-01-01T00:00:00Z"\n          generation: 1\n`,
    },
    code: 'invalid-value',
    at: ['is.yaml', 19, 19],
  },
  {
    name: 'created that is not a time',
    files: {
      'is.yaml': `${stream(dockerTag('1', 'quay.io/a/b:1'))}status:\n  dockerImageRepository: ""\n  tags:\n    - tag: "1"\n      items:\n        - created: yesterday\n          dockerImageReference: quay.io/a/b@sha256:${'a'.repeat(64)}\n          image: sha256:${'a'.repeat(64)}\n          generation: 1\n`,
    },
    code: 'invalid-format',
    at: ['is.yaml', 17, 20],
  },
  {
    name: 'from.kind not one of the three',
    files: { 'is.yaml': stream('    - name: a\n      from:\n        kind: Docker\n        name: quay.io/a/b:1\n') },
    code: 'invalid-from-kind',
    at: ['is.yaml', 10, 15],
  },
  {
    name: 'importMode not Legacy/PreserveOriginal',
    files: { 'is.yaml': stream(`${dockerTag('1', 'quay.io/a/b:1')}      importPolicy:\n        importMode: Original\n`) },
    code: 'invalid-import-mode',
    at: ['is.yaml', 13, 21],
  },
  {
    name: 'referencePolicy.type not Source/Local',
    files: { 'is.yaml': stream(`${dockerTag('1', 'quay.io/a/b:1')}      referencePolicy:\n        type: Remote\n`) },
    code: 'invalid-reference-policy',
    at: ['is.yaml', 13, 15],
  },
  // --- stream rules
  {
    name: 'stream without a name',
    files: { 'is.yaml': 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  generateName: app-\n' },
    code: 'missing-name',
    at: ['is.yaml', 4, 3],
  },
  {
    name: 'invalid stream name',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1')).replace('name: app', 'name: My_App') },
    code: 'invalid-stream-name',
    at: ['is.yaml', 4, 9],
    message: /must match/,
  },
  {
    name: 'namespace/name over 255',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1')).replace('name: app', `name: ${'a'.repeat(253)}`) },
    code: 'name-too-long',
    at: ['is.yaml', 4, 9],
  },
  {
    name: 'duplicate tag name',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1') + dockerTag('1', 'quay.io/a/b:2')) },
    code: 'duplicate-tag',
    at: ['is.yaml', 12, 13],
  },
  {
    name: 'duplicate status tag',
    files: {
      'is.yaml': `${stream(dockerTag('1', 'quay.io/a/b:1'))}status:\n  dockerImageRepository: ""\n  tags:\n    - tag: "1"\n      items: []\n    - tag: "1"\n      items: []\n`,
    },
    code: 'duplicate-status-tag',
    at: ['is.yaml', 17, 12],
  },
  {
    name: 'duplicate stream in a namespace (warning)',
    files: { ...base, 'again.yaml': stream(dockerTag('2', 'quay.io/org/app:2')) },
    code: 'duplicate-stream',
    at: ['is.yaml', 4, 9],
  },
  {
    name: 'reference to an ambiguous stream',
    files: { ...base, 'again.yaml': stream(dockerTag('2', 'quay.io/org/app:2')), 'w.yaml': deployment(`[${trig('app:1', good)}]`) },
    code: 'ambiguous-stream',
    at: ['w.yaml', 7, 34],
  },
  { name: 'empty from.name', files: { 'is.yaml': stream(dockerTag('1', '""')) }, code: 'missing-from-name', at: ['is.yaml', 11, 15] },
  {
    name: 'DockerImage name the parser rejects',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/Org/App:1')) },
    code: 'invalid-reference',
    at: ['is.yaml', 11, 15],
    message: /repository name must be lowercase/,
  },
  {
    name: 'dockerImageRepository that does not parse',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1'), '  dockerImageRepository: quay.io//a\n') },
    code: 'invalid-repository',
    at: ['is.yaml', 7, 26],
    message: /invalid reference format/,
  },
  {
    name: 'dockerImageRepository with a tag',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1'), '  dockerImageRepository: quay.io/a/b:1\n') },
    code: 'repository-with-tag',
    at: ['is.yaml', 7, 26],
  },
  {
    name: 'dockerImageRepository with a digest',
    files: { 'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1'), `  dockerImageRepository: quay.io/a/b@sha256:${'0'.repeat(64)}\n`) },
    code: 'repository-with-id',
    at: ['is.yaml', 7, 26],
  },
  {
    name: 'ImageStreamTag name with two colons',
    files: { 'is.yaml': stream('    - name: a\n      from:\n        kind: ImageStreamTag\n        name: x:y:z\n') },
    code: 'invalid-istag-name',
    at: ['is.yaml', 11, 15],
  },
  {
    name: 'ImageStreamImage name with two @',
    files: { 'is.yaml': stream('    - name: a\n      from:\n        kind: ImageStreamImage\n        name: x@y@z\n') },
    code: 'invalid-isimage-name',
    at: ['is.yaml', 11, 15],
  },
  {
    name: 'scheduled on an ImageStreamTag',
    files: {
      'is.yaml': stream(
        `${dockerTag('1', 'quay.io/a/b:1')}    - name: a\n      from:\n        kind: ImageStreamTag\n        name: "1"\n      importPolicy:\n        scheduled: true\n`,
      ),
    },
    code: 'scheduled-non-docker',
    at: ['is.yaml', 17, 20],
  },
  {
    name: 'tag tracking itself',
    files: { 'is.yaml': stream('    - name: a\n      from:\n        kind: ImageStreamTag\n        name: a\n') },
    code: 'tag-tracks-itself',
    at: ['is.yaml', 11, 15],
  },
  {
    name: 'tracking cycle',
    files: {
      'is.yaml': stream(
        '    - name: a\n      from:\n        kind: ImageStreamTag\n        name: b\n    - name: b\n      from:\n        kind: ImageStreamTag\n        name: app:a\n',
      ),
    },
    code: 'tracking-cycle',
    at: ['is.yaml', 11, 15],
  },
  {
    name: 'status item without a parseable reference',
    files: {
      'is.yaml': `${stream(dockerTag('1', 'quay.io/a/b:1'))}status:\n  dockerImageRepository: ""\n  tags:\n    - tag: "1"\n      items:\n        - created: "2024-01-01T00:00:00Z"\n          dockerImageReference: "Quay.io/A"\n          image: sha256:${'a'.repeat(64)}\n          generation: 1\n`,
    },
    code: 'invalid-status-reference',
    at: ['is.yaml', 18, 33],
  },
  {
    name: 'ImageStreamTag of a stream not in the repository (warning)',
    files: { 'is.yaml': stream('    - name: a\n      from:\n        kind: ImageStreamTag\n        name: other:1\n') },
    code: 'stream-not-found',
    at: ['is.yaml', 11, 15],
  },
  {
    name: 'ImageStreamTag of a missing tag (warning)',
    files: { 'is.yaml': stream('    - name: a\n      from:\n        kind: ImageStreamTag\n        name: nope\n') },
    code: 'tag-not-found',
    at: ['is.yaml', 11, 15],
  },
  {
    name: 'unreadable import interval (warning)',
    files: {
      'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1')).replace(
        '  namespace: ns\n',
        '  namespace: ns\n  annotations:\n    imagestreams.dev/import-interval: 10\n',
      ),
    },
    code: 'invalid-import-interval',
    at: ['is.yaml', 7, 39],
  },
  {
    name: 'import schedule node-cron cannot read',
    files: {
      'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1')).replace(
        '  namespace: ns\n',
        '  namespace: ns\n  annotations:\n    imagestreams.dev/import-schedule: "*/5 * * 13 *"\n',
      ),
    },
    code: 'invalid-import-schedule',
    at: ['is.yaml', 7, 39],
    message: /"\*\/5 \* \* 13 \*" is not a cron expression imagestreams can use: 13 is a invalid expression for month/,
  },
  {
    name: 'import schedule firing every 10 seconds',
    files: {
      'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1')).replace(
        '  namespace: ns\n',
        '  namespace: ns\n  annotations:\n    imagestreams.dev/import-schedule: "*/10 * * * * *"\n',
      ),
    },
    code: 'invalid-import-schedule',
    at: ['is.yaml', 7, 39],
    message: /more than once a minute/,
  },
  {
    name: 'import schedule and import interval both set',
    files: {
      'is.yaml': stream(dockerTag('1', 'quay.io/a/b:1')).replace(
        '  namespace: ns\n',
        '  namespace: ns\n  annotations:\n    imagestreams.dev/import-interval: 5m\n    imagestreams.dev/import-schedule: "0 6 * * *"\n',
      ),
    },
    code: 'import-schedule-conflict',
    at: ['is.yaml', 8, 39],
  },
  // --- workloads
  {
    name: 'triggers annotation not JSON',
    files: { ...base, 'w.yaml': deployment('[{"from":') },
    code: 'triggers-invalid-json',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'trigger without fieldPath',
    files: { ...base, 'w.yaml': deployment('[{"from":{"kind":"ImageStreamTag","name":"app:1"}}]') },
    code: 'invalid-trigger',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'duplicate trigger fieldPath',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:1', good)},${trig('app:1', good)}]`) },
    code: 'trigger-duplicate-fieldpath',
    at: ['w.yaml', 7, 34],
    message: /duplicate triggers are not allowed/,
  },
  {
    name: 'two triggers on one container: name selector and index',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:1', good)},${trig('app:1', 'spec.template.spec.containers[0].image')}]`) },
    code: 'duplicate-trigger-target',
    at: ['w.yaml', 7, 34],
    message:
      /\[1\]\.fieldPath: "spec\.template\.spec\.containers\[0\]\.image" sets containers\[0\]\.image \(container "web"\), which \[0\] .* sets already/,
  },
  {
    name: 'two triggers on one container: documented and upstream quoting',
    files: {
      ...base,
      'w.yaml': deployment(
        `[${trig('app:1', "spec.template.spec.containers[?(@.name=='web')].image").replace(/'/g, "''")},${trig('app:1', good)}]`,
      ),
    },
    code: 'duplicate-trigger-target',
    at: ['w.yaml', 7, 34],
    message: /\[1\]\.fieldPath: .* which \[0\]/,
  },
  {
    name: 'two DeploymentConfig ImageChange triggers naming one container',
    files: {
      ...base,
      'dc.yaml':
        'apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata:\n  name: dc\n  namespace: ns\nspec:\n  triggers:\n    - type: ImageChange\n      imageChangeParams:\n        automatic: true\n        containerNames: [web]\n        from: {kind: ImageStreamTag, name: "app:1"}\n    - type: ImageChange\n      imageChangeParams:\n        automatic: true\n        containerNames: [proxy, web]\n        from: {kind: ImageStreamTag, name: "app:1"}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: x\n        - name: proxy\n          image: y\n',
    },
    code: 'duplicate-trigger-target',
    at: ['dc.yaml', 16, 33],
    message:
      /^spec\.triggers\[1\]\.imageChangeParams\.containerNames\[1\]: "web" sets containers\[0\]\.image \(container "web"\), which spec\.triggers\[0\] sets already/,
  },
  {
    name: 'trigger from DockerImage',
    files: { ...base, 'w.yaml': deployment(`[{"from":{"kind":"DockerImage","name":"nginx"},"fieldPath":"${good}"}]`) },
    code: 'trigger-unsupported-kind',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'trigger from.name without a tag',
    files: { ...base, 'w.yaml': deployment(`[${trig('app', good)}]`) },
    code: 'trigger-invalid-from-name',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'paused as a string (warning)',
    files: { ...base, 'w.yaml': deployment(`[{"from":{"kind":"ImageStreamTag","name":"app:1"},"fieldPath":"${good}","paused":"false"}]`) },
    code: 'trigger-paused-string',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'trigger with from.apiVersion (warning)',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:1', good, ',"apiVersion":"image.openshift.io/v1"')}]`) },
    code: 'trigger-not-watched',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'fieldPath outside the grammar',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:1', 'spec.template.spec.containers[0].name')}]`) },
    code: 'trigger-invalid-fieldpath',
    at: ['w.yaml', 7, 34],
    message: /field path is not valid: spec\.template\.spec\.containers\[0\]\.name/,
  },
  {
    name: 'fieldPath outside the pod spec (warning)',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:1', 'spec.containers[0].image')}]`) },
    code: 'trigger-outside-pod-spec',
    at: ['w.yaml', 7, 34],
  },
  {
    name: "documentation's selector quoting (warning)",
    files: {
      ...base,
      'w.yaml': deployment(`[${trig('app:1', "spec.template.spec.containers[?(@.name=='web')].image").replace(/'/g, "''")}]`),
    },
    code: 'trigger-documented-selector',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'named container missing (warning)',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:1', 'spec.template.spec.containers[?(@.name==\\"api\\")].image')}]`) },
    code: 'trigger-container-not-found',
    at: ['w.yaml', 7, 34],
    message: /no such container/,
  },
  {
    name: 'trigger stream not in the repository (warning)',
    files: { ...base, 'w.yaml': deployment(`[${trig('nope:1', good)}]`) },
    code: 'trigger-stream-not-found',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'trigger tag not in the stream (warning)',
    files: { ...base, 'w.yaml': deployment(`[${trig('app:9', good)}]`) },
    code: 'trigger-tag-not-found',
    at: ['w.yaml', 7, 34],
  },
  {
    name: 'DeploymentConfig ImageChange trigger without containerNames',
    files: {
      ...base,
      'dc.yaml':
        'apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata:\n  name: dc\n  namespace: ns\nspec:\n  triggers:\n    - type: ImageChange\n      imageChangeParams:\n        automatic: true\n        from:\n          kind: ImageStreamTag\n          name: app:1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: x\n',
    },
    code: 'trigger-no-containers',
    at: ['dc.yaml', 10, 9],
  },
  {
    name: 'DeploymentConfig trigger without a type (apps validation: type is required)',
    files: {
      ...base,
      'dc.yaml':
        'apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata:\n  name: dc\n  namespace: ns\nspec:\n  triggers:\n    - imageChangeParams:\n        automatic: true\n        containerNames: [web]\n        from: {kind: ImageStreamTag, name: "app:1"}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: x\n',
    },
    code: 'missing-field',
    at: ['dc.yaml', 8, 7],
    message: 'spec.triggers[0].type: Required value',
  },
  {
    name: 'resolve-names other than *',
    files: {
      'p.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    alpha.image.policy.openshift.io/resolve-names: "yes"\nspec:\n  containers:\n    - name: a\n      image: app:1\n',
    },
    code: 'invalid-resolve-names',
    at: ['p.yaml', 6, 52],
  },
];

cases.push(...metadataCases);
cases.push(...markerCases);

describe('invalid inputs: right code at the right place', () => {
  it('has at least 40 cases and covers every rule code that a file can trigger', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const covered = new Set(cases.map((c) => c.code));
    // read-error needs an unreadable file, which root cannot make; `schema` is the catch-all for keywords we map.
    const untestable = new Set(['read-error', 'schema']);
    const missing = Object.keys(diagnosticCodes).filter((code) => !covered.has(code as DiagnosticCode) && !untestable.has(code));
    expect(missing).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name} → ${c.code} at ${c.at.join(':')}`, async () => {
      const diagnostics = await validateFixture(c.files);
      const hits = diagnostics.filter((d) => d.code === c.code);
      const where = hits.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`);
      expect(
        where,
        JSON.stringify(
          diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`),
          null,
          1,
        ),
      ).toContainEqual(expect.stringMatching(new RegExp(`^${c.at.join(':').replace(/\./g, '\\.')} `)));
      const hit = hits.find((d) => `${d.file}:${d.line}:${d.col}` === c.at.join(':'));
      expect(hit?.severity).toBe(diagnosticCodes[c.code].severity);
      if (c.message) expect(hit?.message).toMatch(c.message);
    });
  }

  it('one broken file never stops the others', async () => {
    const diagnostics = await validateFixture({
      'a-broken.yaml': 'kind: [',
      'b-big.yaml': `# ${'x'.repeat(11 * 1024 * 1024)}`,
      'c.yaml': stream(dockerTag('1', 'quay.io/Bad/Ref:1')),
    });
    expect(diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(
      expect.arrayContaining(['a-broken.yaml yaml-syntax', 'b-big.yaml file-too-large', 'c.yaml invalid-reference']),
    );
  });

  it('a valid repository gives no diagnostics at all', async () => {
    const diagnostics = await validateFixture({ ...base, 'w.yaml': deployment(`[${trig('app:1', good)}]`) });
    expect(diagnostics).toEqual([]);
  });
});
