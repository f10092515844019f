/**
 * The fault suite's own instruments, checked against the real registry and the real Git server: each fault the
 * proxy injects is the fault it claims (and is counted once), a transparent proxy changes nothing, the Git proxy
 * refuses, cuts answers short, stalls and comes back on the same port, and a schedule is a pure function of its seed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FaultChoice, FaultProxy } from '../support/fault-proxy.js';
import { alterManifest, startFaultProxy } from '../support/fault-proxy.js';
import { createBareRepo, gitAsync } from '../support/git-server.js';
import { buildImage, MANIFEST_ACCEPT } from '../support/images.js';
import { pushImage } from '../support/push.js';
import { startGitProxy } from './git-proxy.js';
import { createRng, mulberry32 } from './prng.js';
import { describeSchedule, generateSchedule } from './schedule.js';

const registryUrl = inject('registryUrl');
const gitUrl = inject('gitUrl');
const projectRoot = inject('gitProjectRoot');
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('the fault proxy in front of the real registry', () => {
  let proxy: FaultProxy;
  let digest: string;
  let next: FaultChoice | undefined;
  beforeAll(async () => {
    digest = await pushImage({ url: registryUrl }, 'fault-proxy/app', 'live', buildImage({ seed: 'fault-proxy' }));
    proxy = await startFaultProxy(registryUrl, { maxStallMs: 600, policy: () => next });
  });
  afterAll(() => proxy.stop());
  const manifest = (method = 'GET', ref = digest): Promise<Response> =>
    fetch(`${proxy.url}/v2/fault-proxy/app/manifests/${ref}`, { method, headers: { accept: MANIFEST_ACCEPT } });

  it('is transparent without a fault', async () => {
    next = undefined;
    const res = await manifest();
    expect(res.status).toBe(200);
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(digest);
    const head = await manifest('HEAD', 'live');
    expect(head.headers.get('docker-content-digest')).toBe(digest);
  });

  it('answers 5xx and 429 with Retry-After without asking the registry', async () => {
    next = { kind: '5xx', status: 502 };
    expect((await manifest()).status).toBe(502);
    next = { kind: '429', retryAfterSeconds: 2 };
    const limited = await manifest('HEAD', 'live');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
  });

  it('resets connections', async () => {
    next = { kind: 'reset' };
    await expect(manifest()).rejects.toThrow();
  });

  it('truncates bodies: the full length is announced, half arrives, the connection ends', async () => {
    next = { kind: 'truncate' };
    const res = await manifest();
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('stalls for a bounded time, then answers', async () => {
    next = { kind: 'stall', stallMs: 5000 };
    const t = Date.now();
    const res = await manifest();
    const took = Date.now() - t;
    expect(res.status).toBe(200);
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(3000);
  });

  it('alters manifest bodies so their digest no longer matches (re-encoded or tampered)', async () => {
    for (const alteration of ['reencode', 'tamper'] as const) {
      next = { kind: 'wrong-digest', alteration };
      const res = await manifest();
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get('docker-content-digest')).toBe(digest);
      expect(sha(body)).not.toBe(digest);
      expect(() => JSON.parse(body.toString())).not.toThrow();
    }
    expect(sha(alterManifest(Buffer.from('{"a":1}'), 'reencode'))).not.toBe(sha(Buffer.from('{"a":1}')));
  });

  it('does not inject (or count) a body fault where there is no body', async () => {
    const before = proxy.injected.length;
    next = { kind: 'wrong-digest' };
    expect((await manifest('HEAD', 'live')).status).toBe(200);
    next = { kind: 'truncate' };
    expect((await manifest('HEAD', 'live')).status).toBe(200);
    expect(proxy.injected.length).toBe(before);
    next = undefined;
    expect(proxy.counts()).toMatchObject({ '5xx': 1, '429': 1, reset: 1, truncate: 1, stall: 1, 'wrong-digest': 2 });
  });
});

describe('the Git proxy', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-git-proxy-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('refuses connections while down, answers 503, resets, cuts answers short, stalls, and comes back on the same port', async () => {
    createBareRepo(projectRoot, 'git-proxy', { files: { 'a.txt': 'a\n' } });
    const port = Number(new URL(gitUrl).port);
    const gp = await startGitProxy(port);
    try {
      await gitAsync(['ls-remote', `${gp.url}/git-proxy.git`]);
      const before = gp.port;
      await gp.setMode('refuse');
      const refused = await new Promise<string>((resolve) => {
        const s = connect(before, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      await gp.setMode('503');
      expect(gp.port).toBe(before);
      expect((await fetch(`${gp.url}/git-proxy.git/info/refs?service=git-upload-pack`)).status).toBe(503);
      await gp.setMode('reset');
      await expect(fetch(`${gp.url}/git-proxy.git/info/refs?service=git-upload-pack`)).rejects.toThrow();
      await gp.setMode('truncate');
      await expect(gitAsync(['ls-remote', `${gp.url}/git-proxy.git`])).rejects.toThrow();
      await gp.setMode('stall');
      const t = Date.now();
      await gitAsync(['ls-remote', `${gp.url}/git-proxy.git`]);
      expect(Date.now() - t).toBeGreaterThanOrEqual(300);
      await gp.setMode('up');
      let pushes = 0;
      gp.hooks = {
        onPushAnswered: () => {
          pushes += 1;
          return 'forward';
        },
      };
      const clone = path.join(work, 'clone');
      await gitAsync(['clone', '-q', `${gp.url}/git-proxy.git`, clone]);
      await gitAsync(['commit', '-q', '--allow-empty', '-m', 'through the proxy'], clone);
      await gitAsync(['push', '-q', 'origin', 'HEAD:main'], clone);
      expect(pushes).toBe(1);
      expect(gp.counts).toMatchObject({ refusedWindows: 1, answered503: 1, resets: 1 });
      expect(gp.counts.truncated).toBeGreaterThanOrEqual(1);
      expect(gp.counts.stalled).toBeGreaterThanOrEqual(1);
    } finally {
      await gp.stop();
    }
  });
});

describe('schedules', () => {
  it('mulberry32 is the reference generator', () => {
    const r = mulberry32(1);
    expect([r(), r(), r()].map((x) => x.toFixed(6))).toEqual(['0.627074', '0.002736', '0.527447']);
  });

  it('are a pure function of the seed', () => {
    expect(describeSchedule(generateSchedule(42))).toBe(describeSchedule(generateSchedule(42)));
    expect(describeSchedule(generateSchedule(42))).not.toBe(describeSchedule(generateSchedule(43)));
    const a = createRng(5).fork('proxy');
    const b = createRng(5).fork('proxy');
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it('end every fault by the end of the schedule', () => {
    for (let seed = 1; seed <= 50; seed += 1) {
      const s = generateSchedule(seed);
      for (const e of s.events) {
        expect(e.at).toBeLessThanOrEqual(s.faultsEndAt);
        if ('until' in e) expect(e.until).toBeLessThanOrEqual(s.faultsEndAt);
      }
    }
  });
});
