/**
 * Issue 14 item 5 (with item 7's image-lookup case): boolean flags as `--flag=true|false`, `set image-lookup` with no
 * target, durations in Go's form, each run as the reference documents write it.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeBooleanFlags } from '../../src/cli/options.js';
import { parseDuration } from '../../src/cli/clock.js';
import { parseInterval } from '../../src/reconcile/due.js';
import { parseGoDuration } from '../../src/reconcile/duration.js';
import { runCli } from '../helpers/cli.js';
import { writeFixture } from '../helpers/fixture-repo.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const D = (c: string): string => `sha256:${c.repeat(64)}`;
const ruby = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ruby
  namespace: shop
spec:
  lookupPolicy:
    local: true
  tags:
  - name: "2.0"
    from:
      kind: DockerImage
      name: quay.io/shop/ruby:2.0
status:
  dockerImageRepository: ""
  tags:
  - tag: "2.0"
    items:
    - created: "2024-04-01T00:00:00Z"
      dockerImageReference: quay.io/shop/ruby@${D('a')}
      image: ${D('a')}
      generation: 2
`;
const mysql = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: mysql, namespace: shop}
spec:
  lookupPolicy: {local: false}
  tags: []
`;
const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mysql
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: mysql
        image: mysql:latest
`;

async function repo(): Promise<string> {
  const d = await writeFixture({ 'ruby.yaml': ruby, 'mysql.yaml': mysql, 'deploy.yaml': deploy });
  dirs.push(d);
  return d;
}
const cli = (d: string, ...args: string[]) => runCli([...args, '-n', 'shop'], { cwd: d });
const read = (d: string, f: string): string => readFileSync(path.join(d, f), 'utf8');

describe('boolean flags as --flag=true and --flag=false', () => {
  it('oc tag --alias=true <source> <destination> tracks, as --alias does', async () => {
    const [a, b] = [await repo(), await repo()];
    expect((await cli(a, 'tag', '--alias=true', 'ruby:2.0', 'ruby:latest')).code).toBe(0);
    expect((await cli(b, 'tag', '--alias', 'ruby:2.0', 'ruby:latest')).code).toBe(0);
    expect(read(a, 'ruby.yaml')).toBe(read(b, 'ruby.yaml'));
    expect(read(a, 'ruby.yaml')).toContain('kind: ImageStreamTag');
  });

  it('--scheduled=true schedules; --alias=false and --scheduled=false are the flags left out', async () => {
    const [a, b] = [await repo(), await repo()];
    expect((await cli(a, 'tag', 'docker.io/python:3.6.0', 'ruby:3.6', '--scheduled=true')).code).toBe(0);
    expect(read(a, 'ruby.yaml')).toContain('scheduled: true');
    expect((await cli(b, 'tag', '--alias=false', '--scheduled=False', 'ruby:2.0', 'ruby:latest')).code).toBe(0);
    expect(read(b, 'ruby.yaml')).toContain('kind: ImageStreamImage');
    expect(read(b, 'ruby.yaml')).not.toContain('scheduled');
  });

  it('--dry-run=true prints and writes nothing; a value that is not a boolean stays an error', async () => {
    const d = await repo();
    const before = read(d, 'ruby.yaml');
    const r = await cli(d, 'tag', 'ruby:2.0', 'ruby:latest', '--dry-run=true');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+++ b/ruby.yaml');
    expect(read(d, 'ruby.yaml')).toBe(before);
    expect((await cli(d, 'tag', 'ruby:2.0', 'ruby:latest', '--dry-run=maybe')).code).toBe(2);
  });

  it('every boolean flag of every command: =true is the flag, =false (and 0, f, any case) is nothing; value flags and -- are left alone', () => {
    const program = new Command('x');
    program.command('tag').option('--alias').option('--source <kind>').argument('[a...]');
    program.command('set').command('image-lookup').option('--dry-run').option('--enabled <bool>');
    const n = (...argv: string[]) => normalizeBooleanFlags(program, argv);
    expect(n('tag', '--alias=true', 'a')).toEqual(['tag', '--alias', 'a']);
    expect(n('tag', '--alias=TRUE', '--alias=1', '--alias=t')).toEqual(['tag', '--alias', '--alias', '--alias']);
    expect(n('tag', '--alias=false', '--alias=0', '--alias=F', 'a')).toEqual(['tag', 'a']);
    expect(n('tag', '--source=true')).toEqual(['tag', '--source=true']);
    expect(n('tag', '--', '--alias=true')).toEqual(['tag', '--', '--alias=true']);
    expect(n('set', 'image-lookup', '--dry-run=true', '--enabled=false')).toEqual(['set', 'image-lookup', '--dry-run', '--enabled=false']);
    // A flag of another command is not this command's.
    expect(n('set', 'image-lookup', '--alias=true')).toEqual(['set', 'image-lookup', '--alias=true']);
  });
});

describe('set image-lookup, as the reference documents write it', () => {
  it('oc set image-lookup with no target lists the streams and their lookup setting', async () => {
    const d = await repo();
    const r = await cli(d, 'set', 'image-lookup');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('NAME    LOCAL\nmysql   false\nruby    true\n');
  });

  it('oc set image-lookup deploy/mysql, then --enabled=false: the file is back byte for byte (no metadata: {} left)', async () => {
    const d = await repo();
    expect((await cli(d, 'set', 'image-lookup', 'deploy/mysql')).code).toBe(0);
    expect(read(d, 'deploy.yaml')).toMatch(/alpha\.image\.policy\.openshift\.io\/resolve-names: "\*"/);
    expect((await cli(d, 'set', 'image-lookup', 'deploy/mysql', '--enabled=false')).code).toBe(0);
    expect(read(d, 'deploy.yaml')).toBe(deploy);
    // Disabling where nothing was enabled changes nothing at all.
    expect((await cli(d, 'set', 'image-lookup', 'deploy/mysql', '--enabled=false')).code).toBe(0);
    expect(read(d, 'deploy.yaml')).toBe(deploy);
  });
});

describe("durations in Go's form", () => {
  it.each([
    ['0', 0],
    ['300ms', 300],
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['1h0m0s', 3_600_000],
    ['.5s', 500],
    ['1000us', 1],
    ['-1m', -60_000],
  ])('%s → %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(['', '1', '1d', '5 m', 'm', '1m30', '1.s5', '--1s', 'soon'])('%j is refused, as time.ParseDuration refuses it', (text) =>
    expect(parseGoDuration(text)).toBeUndefined(),
  );

  it('every duration flag and the import-interval setting take the Go form', async () => {
    expect(parseDuration('1m30s', '--pass-timeout')).toBe(90_000);
    expect(() => parseDuration('1d', '--grace-period')).toThrow(
      /--grace-period: "1d" is not a duration such as 300ms, 90s, 1m30s or 2h45m/,
    );
    expect(() => parseDuration('-5s', '--debounce')).toThrow(/not a duration/);
    expect(parseInterval('1m30s')).toBe(90_000);
    expect(parseInterval('59s')).toBeUndefined();
    const d = await repo();
    const r = await cli(d, 'prune', '--keep-younger-than', '1h30m', '--keep-tag-revisions', '1');
    expect(r.code).toBe(0);
    expect((await cli(d, 'prune', '--keep-younger-than', '1d')).code).toBe(2);
  });
});
