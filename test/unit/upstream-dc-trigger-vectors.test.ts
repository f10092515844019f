/**
 * Upstream's DeploymentConfig trigger controller table (fixtures/vectors/upstream-dc-triggers.json), each case written
 * as files and run end to end through `imagestreams reconcile --offline`: the DeploymentConfig comes out as the
 * controller's update would leave it, or byte for byte unchanged where the controller makes no update.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

interface Trigger {
  readonly automatic: boolean;
  readonly from: { readonly kind: string; readonly name: string; readonly namespace: string };
  readonly containerNames: readonly string[];
  readonly lastTriggeredImage?: string;
}
interface DcCase {
  readonly name: string;
  readonly tags: ReadonlyArray<{ readonly namespace: string; readonly name: string; readonly ref: string }>;
  readonly triggers: readonly Trigger[] | null;
  readonly containers: Readonly<Record<string, string>> | null;
  readonly expected: { readonly lastTriggeredImages: readonly string[]; readonly containers: Readonly<Record<string, string>> } | null;
  readonly differs?: string;
}
interface Vectors {
  readonly _source: { readonly repo: string; readonly commit: string; readonly path: string; readonly test: string };
  readonly cases: readonly DcCase[];
}
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/vectors/upstream-dc-triggers.json', import.meta.url), 'utf8')) as Vectors;

/** A digest made from a reference, so each answer has an image (the fake retriever answers a reference only). */
const digestOf = (ref: string): string => `sha256:${Buffer.from(ref).toString('hex').padEnd(64, '0').slice(0, 64)}`;

function files(c: DcCase): Record<string, string> {
  const spec: Record<string, unknown> = {};
  if (c.triggers) spec.triggers = c.triggers.map((p) => ({ type: 'ImageChange', imageChangeParams: p }));
  if (c.containers)
    spec.template = {
      spec: {
        containers: Object.keys(c.containers)
          .sort()
          .map((name) => ({ name, image: c.containers?.[name] })),
      },
    };
  const out: Record<string, string> = {
    'dc.json': `${JSON.stringify({ apiVersion: 'apps.openshift.io/v1', kind: 'DeploymentConfig', metadata: { name: 'test', namespace: 'default' }, spec }, null, 2)}\n`,
  };
  for (const t of c.tags) {
    const [stream, tag] = t.name.split(':') as [string, string];
    out[`${t.namespace}-${stream}.json`] = `${JSON.stringify(
      {
        apiVersion: 'image.openshift.io/v1',
        kind: 'ImageStream',
        metadata: { name: stream, namespace: t.namespace },
        spec: { tags: [{ name: tag, from: { kind: 'DockerImage', name: t.ref } }] },
        status: {
          dockerImageRepository: '',
          tags: [{ tag, items: [{ created: '2024-01-01T00:00:00Z', dockerImageReference: t.ref, image: digestOf(t.ref), generation: 1 }] }],
        },
      },
      null,
      2,
    )}\n`;
  }
  return out;
}

describe(`${vectors._source.repo} ${vectors._source.path} ${vectors._source.test} (${vectors._source.commit})`, () => {
  const agreed: string[] = [];
  for (const c of vectors.cases) {
    it(`${c.name}${c.differs ? ' (differs on purpose)' : ''}`, async () => {
      const input = files(c);
      const dir = await writeFixture(input);
      try {
        const r = await runCli(['reconcile', '--offline', '--now', '2024-05-01T12:00:00Z'], { cwd: dir });
        const after = readFileSync(path.join(dir, 'dc.json'), 'utf8');
        if (c.differs) {
          // Ours: a container name that matches nothing leaves the object alone, and the report says why.
          expect(c.differs).toMatch(/^docs\/[a-z-]+\.md#/);
          expect(r.stdout).toContain('left unchanged: spec.triggers[0] (stream-1:1): no such container: test');
          expect(after).toBe(input['dc.json']);
          return;
        }
        expect(r.code, r.stderr).toBe(0);
        if (c.expected === null) {
          expect(after).toBe(input['dc.json']);
        } else {
          const dc = JSON.parse(after) as {
            spec: {
              triggers: Array<{ imageChangeParams: { lastTriggeredImage?: string } }>;
              template: { spec: { containers: Array<{ name: string; image: string }> } };
            };
          };
          expect(dc.spec.triggers.map((t) => t.imageChangeParams.lastTriggeredImage)).toEqual(c.expected.lastTriggeredImages);
          expect(Object.fromEntries(dc.spec.template.spec.containers.map((k) => [k.name, k.image]))).toEqual(c.expected.containers);
        }
        agreed.push(c.name);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
  it('agrees with every case that records no documented difference', () => {
    expect(vectors.cases).toHaveLength(15);
    expect(agreed).toHaveLength(vectors.cases.filter((c) => !c.differs).length);
  });
});
