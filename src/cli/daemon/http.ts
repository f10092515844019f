/**
 * The daemon's endpoints: liveness, readiness, a JSON status, Prometheus metrics, and the two webhooks (shared
 * secrets). Every connection is bounded: header, request and idle timeouts, a body limit, a connection cap, so
 * slow or idle clients cannot pile up.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pushedImages } from '../../reconcile/registry-events.js';
import { UsageError } from '../exit-codes.js';
import type { DaemonMetrics } from '../metrics.js';
import { pushName } from './journal.js';
import type { Daemon } from './daemon.js';

export interface HttpLimits {
  /** Time to receive a request's headers. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxBodyBytes: number;
}

export const defaultHttpLimits: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxBodyBytes: 1 << 20,
};

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly gitHookSecret?: string | undefined;
  readonly registryHookSecret?: string | undefined;
  readonly limits?: HttpLimits;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A hook request carries the secret as `Authorization: Bearer <secret>` (what a registry's notification endpoint
 * headers can send), `X-Gitlab-Token`, or a GitHub/Gitea `X-Hub-Signature-256` HMAC of the body.
 */
function authorized(req: IncomingMessage, body: Buffer, secret: string | undefined): boolean {
  if (secret === undefined) return false; // a hook without a configured secret is closed
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ') && safeEqual(auth.slice(7), secret)) return true;
  const gitlab = req.headers['x-gitlab-token'];
  if (typeof gitlab === 'string' && safeEqual(gitlab, secret)) return true;
  const signature = req.headers['x-hub-signature-256'];
  if (typeof signature === 'string') return safeEqual(signature, `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  return false;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function readinessText(daemon: Daemon): string {
  const s = daemon.snapshot;
  if (s.state === 'ready') return `ready: last pass ${s.lastPass?.outcome ?? 'landed'}\n`;
  const why = s.reason ?? (s.state === 'starting' ? 'the first pass has not landed yet' : '');
  return `not ready: ${s.state}${s.code ? ` (${s.code})` : ''}: ${why}\n`;
}

/** Listen; an address that cannot be used is a configuration error (exit 2) saying what to change. */
export async function startHttp(daemon: Daemon, metrics: DaemonMetrics, options: HttpOptions, logger: Logger): Promise<Server> {
  const limits = options.limits ?? defaultHttpLimits;
  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type }).end(body);
  };
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    (req, res) => {
      void (async () => {
        const url = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && url === '/healthz') {
          const h = daemon.health();
          return h.ok ? send(res, 200, 'ok\n') : send(res, 503, `unhealthy: ${h.reason ?? ''}\n`);
        }
        if (req.method === 'GET' && url === '/readyz')
          return send(res, daemon.snapshot.state === 'ready' ? 200 : 503, readinessText(daemon));
        if (req.method === 'GET' && url === '/status')
          return send(res, 200, `${JSON.stringify(daemon.snapshot, null, 2)}\n`, 'application/json');
        if (req.method === 'GET' && url === '/metrics')
          return send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
        if (req.method === 'POST' && (url === '/hooks/git' || url === '/hooks/registry')) {
          const hook = url === '/hooks/git' ? 'git' : 'registry';
          const body = await readBody(req, limits.maxBodyBytes);
          if (body === undefined) {
            metrics.notifications.inc({ hook, result: 'too-large' });
            res.setHeader('connection', 'close');
            return send(res, 413, 'body too large\n');
          }
          if (!authorized(req, body, hook === 'git' ? options.gitHookSecret : options.registryHookSecret)) {
            metrics.notifications.inc({ hook, result: 'unauthorized' });
            logger.warn({ hook, remote: req.socket.remoteAddress }, 'webhook refused: wrong or missing secret');
            return send(res, 401, 'unauthorized\n');
          }
          let pushes: ReturnType<typeof pushedImages> = [];
          if (hook === 'registry') {
            let envelope: unknown;
            try {
              envelope = JSON.parse(body.toString('utf8'));
            } catch {
              metrics.notifications.inc({ hook, result: 'bad-request' });
              return send(res, 400, 'not JSON\n');
            }
            pushes = pushedImages(envelope);
            if (pushes.length === 0) {
              metrics.notifications.inc({ hook, result: 'ignored' });
              return send(res, 202, 'accepted: no pushes in it\n');
            }
          }
          try {
            daemon.accept(hook, pushes);
          } catch (err) {
            // Not on disk, so not accepted: the sender retries (the registry does, with backoff).
            metrics.notifications.inc({ hook, result: 'unavailable' });
            logger.error({ hook, err: String(err) }, 'webhook not accepted: the pending-work journal cannot be written');
            return send(res, 503, 'cannot record the notification now; retry\n');
          }
          if (hook === 'registry') logger.info({ pushes: pushes.map((p) => pushName(p)) }, 'registry notification accepted');
          else logger.info('git webhook accepted');
          metrics.notifications.inc({ hook, result: 'accepted' });
          return send(res, 202, 'accepted\n');
        }
        return send(res, 404, 'not found\n');
      })().catch((err: unknown) => {
        logger.error({ err: String(err) }, 'endpoint failed');
        if (!res.headersSent) send(res, 500, 'internal error\n');
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = 100;
  // A socket with no traffic at all (not even headers) is closed too.
  server.setTimeout(limits.requestTimeoutMs, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.code === 'EADDRNOTAVAIL'
              ? 'no such local address'
              : (err.code ?? err.message);
      reject(new UsageError(`cannot listen on ${options.host}:${options.port}: ${why}; choose another --listen`, 'listen'));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
