/** `imagestreams.dev/import-schedule` through the real pass: the CLI injects node-cron's reading into the core. */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const stream = (name: string, annotations: string): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ${name}\n  namespace: ops\n${annotations ? `  annotations:\n${annotations}` : ''}spec:\n  tags:\n  - name: "1"\n    from:\n      kind: DockerImage\n      name: quay.io/ops/${name}:1\n    importPolicy:\n      scheduled: true\n`;
/** Tags an offline pass resolves (a reference tag and one tracking it), so a valid file would change. */
const resolvable =
  '  - name: pinned\n    reference: true\n    from:\n      kind: DockerImage\n      name: quay.io/ops/tools:2024.1\n  - name: current\n    from:\n      kind: ImageStreamTag\n      name: pinned\n';
async function nextDueAt(files: Record<string, string>, now: string): Promise<{ code: number; nextDueAt: string | undefined }> {
  const d = await writeFixture(files);
  dirs.push(d);
  const r = await runCli(['reconcile', '--offline', '--dry-run', '-o', 'json', '--now', now], { cwd: d });
  return { code: r.code, nextDueAt: (JSON.parse(r.stdout) as { nextDueAt?: string }).nextDueAt };
}

describe('imagestreams.dev/import-schedule', () => {
  it("a one-shot pass checks every scheduled tag now; the next check is the schedule's next time, not now + 15 minutes", async () => {
    expect(await nextDueAt({ 'a.yaml': stream('a', '') }, '2024-05-01T12:01:30Z')).toEqual({
      code: 0,
      nextDueAt: '2024-05-01T12:16:30.000Z',
    });
    expect(
      await nextDueAt({ 'a.yaml': stream('a', '    imagestreams.dev/import-schedule: "*/5 * * * *"\n') }, '2024-05-01T12:01:30Z'),
    ).toEqual({ code: 0, nextDueAt: '2024-05-01T12:05:00.000Z' });
    expect(
      await nextDueAt({ 'a.yaml': stream('a', '    imagestreams.dev/import-schedule: "0 6 * * 1-5"\n') }, '2024-05-03T12:00:00Z'),
    ).toEqual({ code: 0, nextDueAt: '2024-05-06T06:00:00.000Z' });
  });

  it('an unreadable schedule, or one next to an interval, is an error in validate and leaves the file alone in reconcile', async () => {
    const good = await writeFixture({ 'good.yaml': stream('good', '    imagestreams.dev/import-schedule: "*/5 * * * *"\n') + resolvable });
    dirs.push(good);
    expect((await runCli(['reconcile', '--offline', '--dry-run', '--now', '2024-05-01T12:00:00Z'], { cwd: good })).stdout).toContain(
      '1 file would change',
    );
    const d = await writeFixture({
      'bad.yaml': stream('bad', '    imagestreams.dev/import-schedule: "@every 5m"\n') + resolvable,
      'both.yaml':
        stream('both', '    imagestreams.dev/import-schedule: "*/5 * * * *"\n    imagestreams.dev/import-interval: 5m\n') + resolvable,
    });
    dirs.push(d);
    const v = await runCli(['validate'], { cwd: d });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(
      'bad.yaml:7:39: error invalid-import-schedule annotation "imagestreams.dev/import-schedule": "@every 5m" is not a cron expression imagestreams can use: ',
    );
    expect(v.stdout).toContain('both.yaml:8:39: error import-schedule-conflict ');
    const r = await runCli(['reconcile', '--offline', '--dry-run', '--now', '2024-05-01T12:00:00Z'], { cwd: d });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('0 files would change');
  });
});
