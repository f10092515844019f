/**
 * Write-back beyond pod templates, through the CLI as a user runs it: setter markers in a Helm chart's values,
 * custom workload kinds from the configuration file, and Helm templates that are not read as manifests.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixturesForThisFile } from '../helpers/fixture-repo.js';

const fixture = fixturesForThisFile();

const digest = `sha256:${'4'.repeat(64)}`;
const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: web
  namespace: shop
spec:
  tags:
    - name: prod
      from:
        kind: DockerImage
        name: quay.io/shop/web:4.0
status:
  dockerImageRepository: ""
  tags:
    - tag: prod
      items:
        - created: "2024-05-01T12:00:00Z"
          dockerImageReference: quay.io/shop/web@${digest}
          image: ${digest}
          generation: 1
`;

const worker = (fieldPath: string): string => `apiVersion: apps.example.com/v1
kind: Worker
metadata:
  name: w
  namespace: shop
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"web:prod"},"fieldPath":"${fieldPath}"}]'
spec:
  workload:
    template:
      spec:
        containers:
          - name: web
            image: quay.io/shop/web:3.9
`;

describe('setter markers through the CLI', () => {
  it('reports each marker change by file, line and stream tag, in text and in -o json, and a second pass changes nothing', async () => {
    const dir = await fixture({
      'is.yaml': stream,
      'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'chart/values.yaml': `image:\n  repository: quay.io/shop/web\n  tag: "3.9" # {"$imagestreamtag": "shop/web:prod", "part": "tag"}\n`,
      'chart/templates/deployment.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n',
    });
    const dry = await runCli(['reconcile', '--offline', '--dry-run'], { cwd: dir });
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toContain('chart/values.yaml:3: marker image/tag: 3.9 -> 4.0  (marker shop/web:prod)');
    expect(dry.stdout).toMatch(/, 1 streams, 0 workload images, 1 value set, 0 skipped\n$/);
    const run = await runCli(['reconcile', '--offline', '-o', 'json'], { cwd: dir });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { workloadChanges: unknown[]; edits: unknown[]; diagnostics: unknown[] };
    expect(report.diagnostics).toEqual([]);
    expect(report.workloadChanges).toEqual([
      {
        workload: 'chart/values.yaml#0/image/tag',
        name: 'chart/values.yaml:3: marker',
        path: '/image/tag',
        old: '3.9',
        new: '4.0',
        cause: 'shop/web:prod',
        via: 'marker',
      },
    ]);
    expect(report.edits).toMatchObject([{ file: 'chart/values.yaml', line: 3, pointer: '/image/tag', old: '3.9', new: '4.0' }]);
    expect(await readFile(path.join(dir, 'chart/values.yaml'), 'utf8')).toBe(
      `image:\n  repository: quay.io/shop/web\n  tag: "4.0" # {"$imagestreamtag": "shop/web:prod", "part": "tag"}\n`,
    );
    const again = await runCli(['reconcile', '--offline'], { cwd: dir });
    expect(again.stdout).toMatch(/^0 files changed/m);
  });

  it('validate points at a misplaced marker, and at a Go template outside a chart, without a raw parser warning', async () => {
    const dir = await fixture({
      'is.yaml': stream,
      'values.yaml': 'image: # {"$imagestreamtag": "shop/web:prod"}\n  tag: x\n',
      'deploy/t.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  replicas: {{ .Values.n }}\n',
    });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/Warning:|stringified/);
    expect(r.stdout).toContain('values.yaml:1:8: error marker-on-key');
    expect(r.stdout).toContain('deploy/t.yaml:6:13: warning go-template');
    expect(r.stdout).toMatch(/0 workloads/);
  });
});

describe('custom workload kinds', () => {
  const config =
    'reconcile:\n  workloadKinds:\n    - apiVersion: apps.example.com/v1\n      kind: Worker\n      podSpecPath: spec.workload.template.spec\n';

  it('applies triggers on a kind configured in reconcile.workloadKinds, at its pod spec path', async () => {
    const dir = await fixture({
      '.imagestreams.yaml': config,
      'is.yaml': stream,
      'worker.yaml': worker('spec.workload.template.spec.containers[?(@.name==\\"web\\")].image'),
    });
    const r = await runCli(['reconcile', '--offline'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(path.join(dir, 'worker.yaml'), 'utf8')).toContain(`            image: quay.io/shop/web@${digest}\n`);
  });

  it('without the setting the kind is not a workload; with it, validate checks fieldPaths against the configured path', async () => {
    const bare = await fixture({ 'is.yaml': stream, 'worker.yaml': worker('spec.template.spec.containers[0].image') });
    expect((await runCli(['validate'], { cwd: bare })).stdout).toMatch(/0 workloads/);
    const dir = await fixture({
      '.imagestreams.yaml': config,
      'is.yaml': stream,
      'worker.yaml': worker('spec.template.spec.containers[0].image'),
    });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stdout).toMatch(/1 workload\b/);
    expect(r.stdout).toMatch(
      /worker\.yaml:\d+:\d+: warning trigger-outside-pod-spec .*does not start with "spec\.workload\.template\.spec\."/,
    );
  });

  it('refuses a malformed entry with exit 2 and says what to fix', async () => {
    const dir = await fixture({
      '.imagestreams.yaml':
        'reconcile:\n  workloadKinds:\n    - apiVersion: apps.example.com/v1\n      kind: Worker\n      podSpecPath: spec/template\n',
      'is.yaml': stream,
    });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/workloadKinds/);
  });
});

describe('imagestreams set marker', () => {
  const values = '# Values\nimage:\n  repository: quay.io/shop/web\n  tag: "3.9"   # the app version\n  digest: ""\n';
  it('writes the marker after the value, sets the value at once, and a pass then changes nothing', async () => {
    const dir = await fixture({ 'is.yaml': stream, 'values.yaml': values });
    const dry = await runCli(['set', 'marker', 'values.yaml:5', '--from-image=shop/web:prod', '--part', 'digest', '--dry-run'], {
      cwd: dir,
    });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would mark values.yaml:5 image/digest follows shop/web:prod (digest); would set to ${digest}`);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(values);
    const r = await runCli(['set', 'marker', 'values.yaml:5', '--from-image=shop/web:prod', '--part', 'digest'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(
      values.replace('  digest: ""\n', `  digest: "${digest}" # {"$imagestreamtag": "shop/web:prod", "part": "digest"}\n`),
    );
    expect((await runCli(['reconcile', '--offline'], { cwd: dir })).stdout).toMatch(/^0 files changed/m);
    // Marking again with another part replaces the marker, and nothing else.
    const again = await runCli(['set', 'marker', 'values.yaml:5', '--from-image=shop/web:prod', '--part', 'image'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toContain(
      `  digest: "quay.io/shop/web@${digest}" # {"$imagestreamtag": "shop/web:prod"}\n`,
    );
  });
  it('refuses what it cannot mark, saying why, and writes nothing', async () => {
    const dir = await fixture({ 'is.yaml': stream, 'values.yaml': values });
    const cases: Array<[string[], number, RegExp]> = [
      [['values.yaml:4', '--from-image=shop/web:prod', '--part', 'tag'], 2, /already has a comment \(# the app version\)/],
      [['values.yaml:2', '--from-image=shop/web:prod'], 2, /holds no single-line scalar value/],
      [['values.yaml:5', '--from-image=shop/nosuch:prod'], 1, /NotFound.*"nosuch" not found/],
      [['values.yaml:5', '--from-image=web'], 2, /stream:tag/],
      [['values.yaml', '--from-image=shop/web:prod'], 2, /not FILE:LINE/],
      [['values.yaml:99', '--from-image=shop/web:prod'], 2, /has no line 99/],
    ];
    for (const [args, code, error] of cases) {
      const r = await runCli(['set', 'marker', ...args], { cwd: dir });
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(error);
    }
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(values);
  });
});

describe('commit messages', () => {
  it('name each marker change by file, line and stream tag, apart from workload images', async () => {
    const { commitMessage } = await import('../../src/cli/commit-message.js');
    const { reconcilePass } = await import('../../src/cli/pipeline.js');
    const { defaultReconcileSettings } = await import('../../src/reconcile/settings.js');
    const { defaultLoadLimits } = await import('../../src/render/limits.js');
    const { defaultWalkOptions } = await import('../../src/render/walk.js');
    const dir = await fixture({
      'is.yaml': stream,
      'values.yaml': 'image:\n  tag: "3.9" # {"$imagestreamtag": "shop/web:prod", "part": "tag"}\n',
      'worker.yaml': worker('spec.workload.template.spec.containers[0].image'),
    });
    const result = await reconcilePass({
      repoDir: dir,
      displayBase: dir,
      walk: defaultWalkOptions,
      limits: defaultLoadLimits,
      settings: defaultReconcileSettings,
      now: '2024-05-02T00:00:00Z',
      offline: true,
      forceImport: false,
    });
    expect(commitMessage(result)).toBe(
      'imagestreams: 1 value set\n\nMarkers and kustomize images:\n- values.yaml:2: marker /image/tag: 4.0 (marker shop/web:prod)\n',
    );
  });
});
