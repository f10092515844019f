/**
 * A fault-injecting HTTP proxy in front of a real (plain HTTP) registry. Every request is forwarded to the registry
 * unless the current policy picks a fault for it:
 *
 *   5xx           answer 500/502/503/504 without asking the registry
 *   429           answer 429 Too Many Requests with a Retry-After (seconds)
 *   reset         destroy the connection before answering
 *   truncate      forward, but cut the body short (full Content-Length announced, then the socket is destroyed)
 *   stall         hold the request for a bounded time, then forward it
 *   wrong-digest  forward a manifest GET, but alter the body (re-encoded or tampered) so its digest no longer
 *                 matches the one asked for and the one in Docker-Content-Digest
 *
 * A policy sees each request (method, path, its sequence number) and returns a fault or nothing; a fault that does
 * not apply to the answer (a body fault on a HEAD or on an error answer) is not injected and not counted. Policies
 * are plain functions, so a seeded one is deterministic in the order requests arrive.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const registryFaultKinds = ['5xx', '429', 'reset', 'truncate', 'stall', 'wrong-digest'] as const;
export type RegistryFaultKind = (typeof registryFaultKinds)[number];

export interface FaultRequest {
  readonly method: string;
  readonly path: string;
  /** 1-based sequence number of the request at the proxy. */
  readonly seq: number;
}

export interface FaultChoice {
  readonly kind: RegistryFaultKind;
  /** 5xx: the status (default 503). */
  readonly status?: number;
  /** 429: the Retry-After value in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** stall: how long to hold the request (bounded by the proxy's maxStallMs). */
  readonly stallMs?: number;
  /** wrong-digest: re-encode the JSON (whitespace) or tamper with its content (default tamper). */
  readonly alteration?: 'reencode' | 'tamper';
}

export type FaultPolicy = (req: FaultRequest) => FaultChoice | undefined;

export interface InjectedFault {
  readonly at: number;
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly kind: RegistryFaultKind;
  readonly detail?: string;
}

export interface FaultProxy {
  /** host:port to use in image references (instead of the registry's). */
  readonly host: string;
  readonly url: string;
  /** The policy from now on (undefined: a transparent proxy). */
  setPolicy(policy: FaultPolicy | undefined): void;
  readonly injected: readonly InjectedFault[];
  /** Injected faults by kind. */
  counts(): Record<RegistryFaultKind, number>;
  /** Requests seen so far. */
  readonly requests: number;
  /** Requests being handled right now (a stall in progress counts). */
  readonly inFlight: number;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Upper bound of any stall, whatever the policy asks (default 3000 ms). */
  readonly maxStallMs?: number;
  readonly policy?: FaultPolicy;
}

const bodyFaults: ReadonlySet<RegistryFaultKind> = new Set(['truncate', 'wrong-digest']);

/** Can this fault apply to this request at all (before seeing the answer)? */
export function faultApplies(kind: RegistryFaultKind, method: string, path: string): boolean {
  if (kind === 'wrong-digest') return method === 'GET' && /\/manifests\/[^/]+$/.test(path);
  if (kind === 'truncate') return method === 'GET';
  return true;
}

/** A manifest body with the same meaning but other bytes, or with a changed meaning: either way another digest. */
export function alterManifest(body: Buffer, alteration: 'reencode' | 'tamper'): Buffer {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return Buffer.concat([body, Buffer.from('\n')]);
  }
  if (alteration === 'reencode') {
    const compact = Buffer.from(JSON.stringify(json));
    return compact.equals(body) ? Buffer.from(JSON.stringify(json, null, 1)) : compact;
  }
  const tampered = {
    ...(json as Record<string, unknown>),
    annotations: { ...((json as { annotations?: Record<string, string> }).annotations ?? {}), 'fault-proxy': 'tampered' },
  };
  return Buffer.from(JSON.stringify(tampered, null, 3));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startFaultProxy(upstream: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  const maxStallMs = options.maxStallMs ?? 3000;
  let policy = options.policy;
  let seq = 0;
  let inFlight = 0;
  let stopped = false;
  const injected: InjectedFault[] = [];
  const sockets = new Set<Socket>();
  const record = (r: FaultRequest, kind: RegistryFaultKind, detail?: string): void => {
    injected.push({ at: Date.now(), seq: r.seq, method: r.method, path: r.path, kind, ...(detail ? { detail } : {}) });
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer } | undefined> =>
    new Promise((resolve) => {
      const out = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }));
          up.on('error', () => resolve(undefined));
        },
      );
      out.on('error', () => resolve(undefined));
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const r: FaultRequest = { method: req.method ?? 'GET', path, seq: (seq += 1) };
    let choice = stopped ? undefined : policy?.(r);
    if (choice && !faultApplies(choice.kind, r.method, path)) choice = undefined;
    if (choice?.kind === 'reset') {
      record(r, 'reset');
      req.socket.destroy();
      return;
    }
    if (choice?.kind === '5xx') {
      const status = choice.status ?? 503;
      record(r, '5xx', String(status));
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected by the fault proxy' }] }));
      return;
    }
    if (choice?.kind === '429') {
      const after = choice.retryAfterSeconds ?? 1;
      record(r, '429', `retry-after ${after}`);
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(after) })
        .end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'injected by the fault proxy' }] }));
      return;
    }
    if (choice?.kind === 'stall') {
      const ms = Math.max(0, Math.min(maxStallMs, choice.stallMs ?? maxStallMs));
      record(r, 'stall', `${ms} ms`);
      await sleep(ms);
      if (req.socket.destroyed) return;
    }
    const up = await forward(req, Buffer.concat(chunks));
    if (up === undefined) {
      if (!res.headersSent) res.writeHead(502).end();
      return;
    }
    const headers: IncomingHttpHeaders = { ...up.headers };
    delete headers['transfer-encoding'];
    if (typeof headers.location === 'string')
      headers.location = headers.location.replace(target.host, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    const hasBody = r.method !== 'HEAD' && up.status >= 200 && up.status < 300 && up.body.length > 1;
    if (choice && bodyFaults.has(choice.kind) && hasBody) {
      if (choice.kind === 'truncate') {
        const keep = Math.max(1, Math.floor(up.body.length / 2));
        record(r, 'truncate', `${keep}/${up.body.length} bytes`);
        res.writeHead(up.status, { ...headers, 'content-length': String(up.body.length) });
        res.write(up.body.subarray(0, keep));
        // Give the first half a moment to leave, then cut the connection: the client sees a short body.
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      const altered = alterManifest(up.body, choice.alteration ?? 'tamper');
      record(r, 'wrong-digest', choice.alteration ?? 'tamper');
      res.writeHead(up.status, { ...headers, 'content-length': String(altered.length) }).end(altered);
      return;
    }
    if (r.method !== 'HEAD') headers['content-length'] = String(up.body.length);
    res.writeHead(up.status, headers).end(r.method === 'HEAD' ? undefined : up.body);
  };

  const server = createServer((req, res) => {
    inFlight += 1;
    void handle(req, res)
      .catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else req.socket.destroy();
      })
      .finally(() => {
        inFlight -= 1;
      });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    setPolicy: (p) => {
      policy = p;
    },
    injected,
    counts: () => {
      const out = Object.fromEntries(registryFaultKinds.map((k) => [k, 0])) as Record<RegistryFaultKind, number>;
      for (const f of injected) out[f.kind] += 1;
      return out;
    },
    get requests() {
      return seq;
    },
    get inFlight() {
      return inFlight;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
