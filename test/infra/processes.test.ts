import { createServer } from 'node:net';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { killPid, livePids, startProcess, waitForHttp, waitForPort } from '../support/processes.js';
import { startRegistry } from '../support/registry.js';
import { makeTempDir, removeDir } from '../support/tmp.js';

const dir = makeTempDir('is-proc-test');
afterAll(() => removeDir(dir));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('process and port helpers', () => {
  it('freePort returns distinct bindable 127.0.0.1 ports', async () => {
    const a = await freePort();
    const b = await freePort();
    expect(a).toBeGreaterThan(0);
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(a, '127.0.0.1', () => r()));
    await waitForPort(a, { timeoutMs: 2000 });
    await new Promise<void>((r) => srv.close(() => r()));
    expect(typeof b).toBe('number');
  });

  it('fails fast with the child output when the child exits before becoming ready', async () => {
    const port = await freePort();
    const proc = startProcess('sh', ['-c', 'echo "boom: config broken" >&2; exit 3'], { logFile: join(dir, 'fail.log') });
    await expect(waitForPort(port, { proc, what: 'broken-server', timeoutMs: 5000 })).rejects.toThrow(
      /broken-server exited before .* answered[\s\S]*boom: config broken/,
    );
  });

  it('times out with a clear message', async () => {
    const port = await freePort();
    const proc = startProcess('sleep', ['30'], { logFile: join(dir, 'sleep.log') });
    await expect(waitForHttp(`http://127.0.0.1:${port}/`, { proc, what: 'sleeper', timeoutMs: 300 })).rejects.toThrow(
      /sleeper: http:\/\/127\.0\.0\.1:\d+\/ did not answer within 300 ms/,
    );
    expect(livePids()).toContain(proc.pid);
    await proc.stop();
    expect(alive(proc.pid)).toBe(false);
    expect(livePids()).not.toContain(proc.pid);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const proc = startProcess('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], {
      logFile: join(dir, 'stubborn.log'),
    });
    const start = Date.now();
    while (!proc.log().includes('ready') && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    await proc.stop(300);
    expect(proc.exited()).toBe(true);
    expect(alive(proc.pid)).toBe(false);
  });

  it('killPid stops a process by PID alone', async () => {
    const proc = startProcess('sleep', ['30'], { logFile: join(dir, 'bypid.log') });
    await killPid(proc.pid, 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(alive(proc.pid)).toBe(false);
  });

  it('a registry stop() kills the process and removes its temp dir', async () => {
    const reg = await startRegistry();
    expect(alive(reg.pid)).toBe(true);
    expect(existsSync(reg.dataDir)).toBe(true);
    await reg.stop();
    expect(alive(reg.pid)).toBe(false);
    expect(existsSync(reg.dir)).toBe(false);
  });
});
