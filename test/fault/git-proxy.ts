/**
 * The daemon's way to the Git server, with faults: a plain HTTP proxy in front of test/support/git-server.ts that
 * can refuse connections (it stops listening: ECONNREFUSED), answer 503, reset connections, cut answers short,
 * stall, and tell the harness
 * about the daemon's pushes (so a SIGKILL can land just before a push reaches the server, or just after the server
 * took it and before the daemon heard back). Pushes can also be declined by the server itself: see
 * installDeclineHook (a pre-receive hook that refuses the daemon's commits while a flag file exists).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { installHook } from '../support/git-server.js';

/**
 * up: forward; refuse: not listening (ECONNREFUSED); 503: answer 503; reset: destroy each connection; truncate:
 * forward, then send half the answer under its full Content-Length and cut the connection; stall: hold each
 * request 300–1500 ms, then forward.
 */
export type GitMode = 'up' | 'refuse' | '503' | 'reset' | 'truncate' | 'stall';

/** What to do with a push the harness was told about. */
export type PushVerdict = 'forward' | 'drop';

export interface GitProxyHooks {
  /** A receive-pack POST arrived (the body is complete). 'drop' destroys it before the server sees it. */
  onPushRequest?: () => PushVerdict;
  /** The server answered a receive-pack POST (the push landed or was refused); called before the answer is sent on. */
  onPushAnswered?: (status: number) => PushVerdict;
}

export interface GitProxy {
  readonly url: string;
  readonly port: number;
  readonly mode: GitMode;
  setMode(mode: GitMode): Promise<void>;
  hooks: GitProxyHooks;
  /** Requests answered 503 or reset by the proxy, and connections refused (attempts seen while down are not visible: counted as windows). */
  readonly counts: {
    readonly answered503: number;
    readonly resets: number;
    readonly truncated: number;
    readonly stalled: number;
    readonly refusedWindows: number;
    readonly pushesDropped: number;
  };
  stop(): Promise<void>;
}

function isReceivePack(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.url ?? '').split('?')[0]?.endsWith('/git-receive-pack') === true;
}

export async function startGitProxy(upstreamPort: number): Promise<GitProxy> {
  let mode: GitMode = 'up';
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const counts = { answered503: 0, resets: 0, truncated: 0, stalled: 0, refusedWindows: 0, pushesDropped: 0 };
  let stallSeq = 0;
  const proxy: GitProxy = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    setMode: async (next) => {
      if (next === mode) return;
      const was = mode;
      mode = next;
      if (next === 'refuse') {
        counts.refusedWindows += 1;
        await close();
      } else if (was === 'refuse') await listen();
    },
    hooks: {},
    counts,
    stop: async () => {
      mode = 'refuse';
      await close();
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (mode === 'reset') {
      counts.resets += 1;
      req.socket.destroy();
      return;
    }
    if (mode === '503') {
      counts.answered503 += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('the Git server is down for maintenance (fault schedule)\n');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (mode === 'stall') {
      counts.stalled += 1;
      stallSeq += 1;
      // Deterministic in the order requests arrive: 300, 700, 1100, 1500, 300, ... ms.
      await new Promise((r) => setTimeout(r, 300 + ((stallSeq - 1) % 4) * 400));
      if (req.socket.destroyed) return;
    }
    const push = isReceivePack(req);
    if (push && proxy.hooks.onPushRequest?.() === 'drop') {
      counts.pushesDropped += 1;
      req.socket.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const out = httpRequest(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` },
        },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('error', () => {
            req.socket.destroy();
            resolve();
          });
          up.on('end', () => {
            if (push && proxy.hooks.onPushAnswered?.(up.statusCode ?? 0) === 'drop') {
              counts.pushesDropped += 1;
              req.socket.destroy();
              return resolve();
            }
            const headers = { ...up.headers };
            delete headers['transfer-encoding'];
            const all = Buffer.concat(body);
            headers['content-length'] = String(all.length);
            if (mode === 'truncate' && all.length > 1) {
              counts.truncated += 1;
              res.writeHead(up.statusCode ?? 502, headers);
              res.write(all.subarray(0, Math.floor(all.length / 2)));
              setTimeout(() => req.socket.destroy(), 20);
              return resolve();
            }
            res.writeHead(up.statusCode ?? 502, headers).end(all);
            resolve();
          });
        },
      );
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
        resolve();
      });
      out.end(Buffer.concat(chunks));
    });
  };

  const listen = async (): Promise<void> => {
    const s = createServer((req, res) => {
      void handle(req, res).catch(() => req.socket.destroy());
    });
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    // The same port again after a refusal window; the kernel may keep it a moment, so retry briefly.
    for (let i = 0; ; i += 1) {
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, '127.0.0.1', () => {
            s.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (i >= 50) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const address = s.address();
    if (address && typeof address === 'object') port = address.port;
    server = s;
  };
  const close = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return proxy;
}

/** The flag file that makes installDeclineHook's hook refuse the daemon's pushes. */
const flagName = 'decline-daemon-pushes';

/**
 * A pre-receive hook that, while the flag is set, declines every push that carries a commit by `email` (a
 * protected-branch policy that flickers): the server-side rejection the daemon must treat like a race.
 */
export function installDeclineHook(bare: string, email: string): { set(on: boolean): void; readonly on: boolean } {
  installHook(
    bare,
    'pre-receive',
    `#!/bin/sh
[ -f ${flagName} ] || exit 0
while read old new ref; do
  if git log --format=%ae "$old..$new" 2>/dev/null | grep -qx '${email}'; then
    echo "declined: pushes by ${email} are paused (fault schedule)" >&2
    exit 1
  fi
done
exit 0
`,
  );
  const flag = join(bare, flagName);
  return {
    set: (on) => {
      // A schedule's last timers may fire while the run is being torn down: a removed repository has no flag to set.
      if (!existsSync(bare)) return;
      if (on) writeFileSync(flag, '');
      else rmSync(flag, { force: true });
    },
    get on() {
      return existsSync(flag);
    },
  };
}
