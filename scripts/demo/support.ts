/** Small helpers for scripts/demo.ts: output, bounded waits, the daemon as a child process, its log, cleanup. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { gitAsync } from '../../test/support/git-server.js';
import { startProcess } from '../../test/support/processes.js';
import type { ManagedProcess } from '../../test/support/processes.js';

const tty = process.stdout.isTTY === true;
const bold = (s: string): string => (tty ? `\u001b[1m${s}\u001b[0m` : s);
const dim = (s: string): string => (tty ? `\u001b[2m${s}\u001b[0m` : s);

let step = 0;
/** A numbered, headed step. */
export const heading = (text: string): void => void process.stdout.write(`\n${bold(`${++step}. ${text}`)}\n`);
/** A line under the current step. */
export const note = (text: string): void => void process.stdout.write(`   ${text}\n`);
/** A block (command output), indented under the current step. */
export const block = (text: string): void =>
  void process.stdout.write(
    `${text
      .replace(/\s+$/, '')
      .replace(/\n(\s*\n)+/g, '\n\n')
      .replace(/^(?=.)/gm, '     ')}\n`,
  );
export const shell = (command: string): void => note(dim(`$ ${command}`));

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Poll `check` until it yields a value; fail with `what` (and `detail()`) after `timeoutMs`, or early if `abort()` says why. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; detail?: () => string; abort?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const why = options.abort?.();
    if (why !== undefined) throw new Error(`gave up waiting for ${what}: ${why}${options.detail ? `\n${options.detail()}` : ''}`);
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${seconds(options.timeoutMs)} waiting for ${what}${options.detail ? `\n${options.detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

/**
 * Hold a free 127.0.0.1 port until `release()`, so nothing else started meanwhile (a registry, a server on port 0)
 * can take it; release it just before the process that is to listen on it starts.
 */
export async function reservePort(): Promise<{ port: number; release: () => Promise<void> }> {
  // Connections meanwhile (the registry delivering notifications early) are refused, so close() never waits for them.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve);
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** GET a URL: its status and body (undefined when nothing answers). */
export async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
    return { status: res.statusCode, body: (await res.body.text()).trim() };
  } catch {
    return undefined;
  }
}

/** The git CLI, always asynchronous: the Git server runs in this very process and must keep serving. */
export const git = (args: string[], cwd?: string): Promise<string> => gitAsync(args, cwd);

const field = (v: unknown): string | undefined => {
  if (v === undefined || v === null || v === '' || v === false) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(String).join(', ');
  if (typeof v === 'string' && /^[0-9a-f]{40}$/.test(v)) return v.slice(0, 7);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
};

/** One pino JSON line, for a person: "pass 2: pass committed (commit 1a2b3c4, files 2, ...)". */
export function formatLogLine(line: string): string | undefined {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trim() === '' ? undefined : line;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  if (level < 30) return undefined;
  const shown = [
    'reasons',
    'pushes',
    'commit',
    'pushed',
    'files',
    'imports',
    'failedImports',
    'invalidFiles',
    'retries',
    'ms',
    'listen',
    'repo',
    'err',
    'why',
    'file',
  ];
  const fields = shown.flatMap((k) => {
    const v = k === 'pushes' && typeof rec[k] === 'number' ? undefined : field(rec[k]);
    return v === undefined || ((k === 'failedImports' || k === 'invalidFiles' || k === 'retries') && v === '0') ? [] : [`${k} ${v}`];
  });
  const prefix = `${level >= 50 ? 'ERROR ' : level >= 40 ? 'warn ' : ''}${typeof rec.pass === 'number' ? `pass ${rec.pass}: ` : ''}`;
  return `${prefix}${String(rec.msg ?? '')}${fields.length > 0 ? ` (${fields.join('; ')})` : ''}`;
}

export interface DaemonChild {
  readonly proc: ManagedProcess;
  readonly url: string;
  /** Exit code and signal, once it has exited. */
  exit(): { code: number | null; signal: string | null } | undefined;
  /** The last lines of its log, for failure messages. */
  tail(lines?: number): string;
  /** Print its log lines as they come (true) or keep them quiet (false). */
  echo(on: boolean): void;
  /** SIGTERM and wait up to graceMs; then SIGKILL. Resolves with how it ended. */
  stop(graceMs: number): Promise<{ code: number | null; signal: string | null; killed: boolean }>;
}

/** `imagestreams run ...` from the sources, in this one child process (`node --import tsx`, no grandchild). */
export function startDaemon(root: string, listen: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string): DaemonChild {
  const proc = startProcess(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/cli.ts'), 'run', '--listen', listen, ...args], {
    cwd: root,
    env,
    logFile,
  });
  let exited: { code: number | null; signal: string | null } | undefined;
  let offset = 0;
  let pending = '';
  let echoing = true;
  const follow = (): void => {
    let fd: number;
    try {
      if (statSync(logFile).size <= offset) return;
      fd = openSync(logFile, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0; n = readSync(fd, buf, 0, buf.length, offset)) {
        offset += n;
        pending += buf.subarray(0, n).toString('utf8');
      }
    } finally {
      closeSync(fd);
    }
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (!echoing) return;
    for (const l of lines) {
      const text = formatLogLine(l);
      if (text !== undefined) process.stdout.write(`   ${dim('│ daemon:')} ${text}\n`);
    }
  };
  const timer = setInterval(follow, 100);
  timer.unref();
  const exitPromise = new Promise<void>((resolve) => {
    proc.child.once('exit', (code, signal) => {
      exited = { code, signal };
      follow();
      clearInterval(timer);
      resolve();
    });
  });
  return {
    proc,
    url: `http://${listen}`,
    exit: () => exited,
    tail: (lines = 30) => `imagestreams run's log (last ${lines} lines):\n${proc.log().trimEnd().split('\n').slice(-lines).join('\n')}`,
    echo: (on) => {
      follow();
      echoing = on;
    },
    stop: async (graceMs) => {
      let killed = false;
      if (exited === undefined) {
        proc.child.kill('SIGTERM');
        const timedOut = await Promise.race([
          exitPromise.then(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
        ]);
        if (timedOut) {
          killed = true;
          await proc.stop(0);
        }
      }
      await exitPromise;
      return { ...(exited ?? { code: null, signal: null }), killed };
    },
  };
}
