/** The deployment files stay true to the CLI: every flag the manifests use exists, ports and probes line up. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';

const read = (p: string): string => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: manifests read for their shape; the assertions say what is expected
const docs = (p: string): Array<Record<string, any>> => parseAllDocuments(read(p)).map((d) => d.toJS() as Record<string, any>);

describe('deploy/kubernetes and the Containerfile', () => {
  const [deployment] = docs('deploy/kubernetes/deployment.yaml');
  const container = deployment?.spec.template.spec.containers[0];

  it('the Deployment runs `imagestreams run` with flags that exist', async () => {
    const help = (await runCli(['run', '--help'])).stdout;
    const args = container.args as string[];
    expect(args[0]).toBe('run');
    for (const arg of args.slice(1)) {
      const flag = arg.split('=')[0] as string;
      expect(help, `${flag} is not an option of imagestreams run`).toContain(flag);
    }
    // And the options parse: the usage check fails on the missing repository only when both sources are given.
    const bad = await runCli(['run', '--repo', '.', '--repo-url', 'https://x', '--listen', '127.0.0.1:0']);
    expect(bad.code).toBe(2);
  });

  it('ports, probes and secrets line up', () => {
    const listen = (container.args as string[])
      .find((a) => a.startsWith('--listen='))
      ?.split(':')
      .at(-1);
    expect(container.ports[0].containerPort).toBe(Number(listen));
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    // The kubelet's SIGKILL must not come before the daemon's own grace period has run out.
    const grace = (container.args as string[]).find((a) => a.startsWith('--grace-period='))?.split('=')[1] ?? '30s';
    expect(Number(/^(\d+)s$/.exec(grace)?.[1])).toBeLessThan(deployment?.spec.template.spec.terminationGracePeriodSeconds as number);
    const [service] = docs('deploy/kubernetes/service.yaml');
    expect(service?.spec.ports[0].targetPort).toBe(container.ports[0].name);
    expect(service?.spec.selector).toEqual(deployment?.spec.template.metadata.labels);
    const [monitor] = docs('deploy/kubernetes/servicemonitor.yaml');
    expect(monitor?.spec.selector.matchLabels).toEqual(service?.metadata.labels);
    expect(monitor?.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    const secrets = new Map(docs('deploy/kubernetes/secrets.example.yaml').map((s) => [s.metadata.name as string, s]));
    for (const e of container.env as Array<{ valueFrom: { secretKeyRef: { name: string; key: string } } }>) {
      expect(secrets.get(e.valueFrom.secretKeyRef.name)?.stringData).toHaveProperty(e.valueFrom.secretKeyRef.key);
    }
    for (const v of (deployment?.spec.template.spec.volumes ?? []) as Array<{ secret?: { secretName: string } }>) {
      if (v.secret) expect(secrets.has(v.secret.secretName)).toBe(true);
    }
    expect(secrets.get('imagestreams-pull-secret')?.type).toBe('kubernetes.io/dockerconfigjson');
    const kustomization = docs('deploy/kubernetes/kustomization.yaml')[0] as { resources: string[] };
    for (const r of kustomization.resources) expect(existsSync(new URL(`../../deploy/kubernetes/${r}`, import.meta.url))).toBe(true);
  });

  it('the Containerfile builds from the lock file and runs the published entry point', () => {
    const file = read('Containerfile');
    expect(file).toMatch(/npm ci/);
    // A Node release line that is still supported (20 reached its end of life in April 2026).
    const lines = [...file.matchAll(/^FROM docker\.io\/library\/node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect([22, 24]).toContain(line);
    expect(file).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/imagestreams.js"\]/);
    expect(file).toMatch(/^USER \d+$/m);
    // The allocator the image preloads is the one it installs, by the name the loader's cache knows it by.
    expect(/LD_PRELOAD=(\S+)/.exec(file)?.[1]).toBe('libjemalloc.so.2');
    expect(file).toMatch(/apt-get install -y --no-install-recommends libjemalloc2/);
    expect(file).toMatch(/ldconfig -p \| grep -q 'libjemalloc\\\.so\\\.2 '/);
    expect(existsSync(new URL('../../bin/imagestreams.js', import.meta.url))).toBe(true);
  });
});
