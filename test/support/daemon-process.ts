import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { startProcess, waitForHttp } from './processes.js';
import type { ManagedProcess } from './processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface DaemonProcess {
  readonly url: string;
  readonly proc: ManagedProcess;
  /** The JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** `imagestreams run ...` as a child process (from the sources, through tsx), ready when /healthz answers. */
export async function startDaemon(
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    logFile: string;
    /** run the published entry point on the build (dist/) instead */
    built?: boolean;
    /** Node's own options before the entry point (V8 flags NODE_OPTIONS refuses, such as --trace-gc) */
    nodeArgs?: readonly string[];
  },
): Promise<DaemonProcess> {
  const port = await freePort();
  // `node --import tsx` runs the daemon in this one process (the tsx CLI would put it in a grandchild that a
  // SIGKILL of the child would leave running).
  const entry = options.built ? [path.join(root, 'bin/imagestreams.js')] : ['--import', 'tsx', path.join(root, 'scripts/cli.ts')];
  const proc = startProcess(process.execPath, [...(options.nodeArgs ?? []), ...entry, 'run', '--listen', `127.0.0.1:${port}`, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.dirname(options.logFile), ...options.env },
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { proc, what: 'imagestreams run', timeoutMs: 30_000 });
  return {
    url,
    proc,
    logs: () =>
      proc
        .log()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => proc.stop(10_000),
  };
}
