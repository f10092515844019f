/** The daemon's endpoints: health, readiness, Prometheus metrics, and the two webhooks (shared secrets). */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pushedImages } from '../reconcile/registry-events.js';
import type { Daemon } from './daemon.js';
import type { DaemonMetrics } from './metrics.js';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly gitHookSecret?: string | undefined;
  readonly registryHookSecret?: string | undefined;
}

const maxBody = 1 << 20;

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

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function startHttp(daemon: Daemon, metrics: DaemonMetrics, options: HttpOptions, logger: Logger): Promise<Server> {
  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type }).end(body);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && url === '/healthz') return send(res, 200, 'ok\n');
      if (req.method === 'GET' && url === '/readyz') return daemon.ready ? send(res, 200, 'ready\n') : send(res, 503, `not ready${daemon.lastError ? `: ${daemon.lastError}` : ': the first pass has not succeeded yet'}\n`);
      if (req.method === 'GET' && url === '/metrics') return send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      if (req.method === 'POST' && (url === '/hooks/git' || url === '/hooks/registry')) {
        const hook = url === '/hooks/git' ? 'git' : 'registry';
        const body = await readBody(req);
        if (body === undefined) {
          metrics.notifications.inc({ hook, result: 'too-large' });
          return send(res, 413, 'body too large\n');
        }
        if (!authorized(req, body, hook === 'git' ? options.gitHookSecret : options.registryHookSecret)) {
          metrics.notifications.inc({ hook, result: 'unauthorized' });
          logger.warn({ hook, remote: req.socket.remoteAddress }, 'webhook refused: wrong or missing secret');
          return send(res, 401, 'unauthorized\n');
        }
        if (hook === 'git') {
          daemon.requestPass('git webhook');
        } else {
          let envelope: unknown;
          try {
            envelope = JSON.parse(body.toString('utf8'));
          } catch {
            metrics.notifications.inc({ hook, result: 'bad-request' });
            return send(res, 400, 'not JSON\n');
          }
          const pushes = pushedImages(envelope);
          if (pushes.length > 0) daemon.requestPass('registry notification', pushes);
          logger.info({ pushes: pushes.map((p) => `${p.host}/${p.repository}:${p.tag ?? p.digest ?? ''}`) }, 'registry notification');
        }
        metrics.notifications.inc({ hook, result: 'accepted' });
        return send(res, 202, 'accepted\n');
      }
      return send(res, 404, 'not found\n');
    })().catch((err: unknown) => {
      logger.error({ err: String(err) }, 'endpoint failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
