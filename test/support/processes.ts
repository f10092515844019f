import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'undici';
import type { Dispatcher } from 'undici';

export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Path of the file receiving the child's stderr (and stdout). */
  readonly logFile: string;
  /** Current content of the log file (stdout + stderr). */
  log(): string;
  /** True once the child has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Map<number, ChildProcess>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const [pid] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync();
      // Keep the default "terminate" behaviour unless someone else (e.g. vitest) handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/** PIDs of children started through this module that are still running. */
export function livePids(): number[] {
  return [...live.keys()];
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** File for the child's stdout+stderr. Required so nothing fills a pipe. */
  logFile: string;
}

/** Spawn a long-running child with output to a file; it is killed when this process exits. */
export function startProcess(command: string, args: readonly string[], opts: StartOptions): ManagedProcess {
  installExitHooks();
  const fd = openSync(opts.logFile, 'a');
  const spawnOpts: SpawnOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: false,
  };
  const child = spawn(command, [...args], spawnOpts);
  closeSync(fd);
  if (child.pid === undefined) {
    throw new Error(`failed to spawn ${command}: ${readLog(opts.logFile)}`);
  }
  const pid = child.pid;
  live.set(pid, child);
  let hasExited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      live.delete(pid);
      resolve();
    });
    child.once('error', () => {
      hasExited = true;
      live.delete(pid);
      resolve();
    });
  });
  return {
    pid,
    child,
    logFile: opts.logFile,
    log: () => readLog(opts.logFile),
    exited: () => hasExited,
    stop: (graceMs = 3000) => stopPid(pid, exitPromise, graceMs, () => hasExited),
  };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPid(pid: number, exited: Promise<void>, graceMs: number, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([exited.then(() => 'done' as const), timer])) === 'timeout') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
  live.delete(pid);
}

/** Stop any process by PID (e.g. one started in globalSetup): SIGTERM, then SIGKILL. */
export async function killPid(pid: number, graceMs = 3000): Promise<void> {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return;
    await sleep(25);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tcpOnce(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export interface WaitOptions {
  timeoutMs?: number;
  /** The process whose log is included in errors and whose early exit aborts the wait. */
  proc?: ManagedProcess;
  what?: string;
}

async function waitLoop(check: () => Promise<boolean>, opts: WaitOptions, target: string): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    if (opts.proc?.exited()) {
      throw new Error(`${opts.what ?? 'process'} exited before ${target} answered. Output:\n${opts.proc.log()}`);
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${opts.what ?? 'server'}: ${target} did not answer within ${timeoutMs} ms.${opts.proc ? ` Output:\n${opts.proc.log()}` : ''}`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}

/** Wait until host:port accepts TCP connections. */
export function waitForPort(port: number, opts: WaitOptions & { host?: string } = {}): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  return waitLoop(() => tcpOnce(host, port), opts, `${host}:${port}`);
}

/** Wait until an HTTP(S) URL answers with any status (any response means the server is up). */
export function waitForHttp(url: string, opts: WaitOptions & { dispatcher?: Dispatcher } = {}): Promise<void> {
  return waitLoop(
    async () => {
      try {
        const res = await request(url, { dispatcher: opts.dispatcher, headersTimeout: 2000, bodyTimeout: 2000 });
        await res.body.dump();
        return true;
      } catch {
        return false;
      }
    },
    opts,
    url,
  );
}
