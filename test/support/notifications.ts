import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

export interface RegistryEvent {
  id: string;
  timestamp: string;
  action: string;
  target: {
    mediaType?: string;
    size?: number;
    digest?: string;
    length?: number;
    repository?: string;
    url?: string;
    tag?: string;
    references?: Array<{ mediaType: string; size: number; digest: string }>;
  };
  request?: { id?: string; addr?: string; host?: string; method?: string; useragent?: string };
  actor?: { name?: string };
  source?: { addr?: string; instanceID?: string };
}

export interface ReceivedEnvelope {
  time: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  contentType: string | undefined;
  rawBody: string;
  events: RegistryEvent[];
}

export interface ReceivedEvent {
  event: RegistryEvent;
  envelope: ReceivedEnvelope;
}

export interface NotificationReceiverOptions {
  /** Path events are posted to (default /events); other paths still get recorded. */
  path?: string;
  /** HTTP status to answer with (default 200); a function allows simulating failures. */
  status?: number | ((env: ReceivedEnvelope) => number);
}

export interface NotificationReceiver {
  /** Endpoint URL to configure in the registry, e.g. http://127.0.0.1:PORT/events */
  url: string;
  port: number;
  envelopes: ReceivedEnvelope[];
  /** All events flattened, with their envelope. */
  events(): ReceivedEvent[];
  /** Resolve with the first event matching predicate (already received or future); reject after timeoutMs. */
  waitFor(predicate: (e: RegistryEvent, env: ReceivedEnvelope) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  /** Resolve once `count` events match. */
  waitForCount(
    predicate: (e: RegistryEvent, env: ReceivedEnvelope) => boolean,
    count: number,
    timeoutMs?: number,
  ): Promise<ReceivedEvent[]>;
  clear(): void;
  stop(): Promise<void>;
}

export async function startNotificationReceiver(opts: NotificationReceiverOptions = {}): Promise<NotificationReceiver> {
  const path = opts.path ?? '/events';
  const envelopes: ReceivedEnvelope[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let events: RegistryEvent[] = [];
      try {
        const parsed = JSON.parse(rawBody) as { events?: RegistryEvent[] };
        events = parsed.events ?? [];
      } catch {
        events = [];
      }
      const env: ReceivedEnvelope = {
        time: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        contentType: req.headers['content-type'],
        rawBody,
        events: new URL(req.url ?? '/', 'http://x').pathname === path ? events : [],
      };
      envelopes.push(env);
      const status = typeof opts.status === 'function' ? opts.status(env) : (opts.status ?? 200);
      res.writeHead(status).end();
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const all = (): ReceivedEvent[] => envelopes.flatMap((envelope) => envelope.events.map((event) => ({ event, envelope })));

  const waitForCount = (
    predicate: (e: RegistryEvent, env: ReceivedEnvelope) => boolean,
    count: number,
    timeoutMs = 10_000,
  ): Promise<ReceivedEvent[]> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = all().filter((r) => predicate(r.event, r.envelope));
        if (found.length >= count) {
          resolve(found.slice(0, count));
          return true;
        }
        return false;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) {
          waiters.delete(waiter);
          clearTimeout(timer);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const seen = all().map(
          (r) => `${r.event.action} ${r.event.target.repository ?? ''}:${r.event.target.tag ?? ''}@${r.event.target.digest ?? ''}`,
        );
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} event(s); received:\n${seen.join('\n')}`));
      }, timeoutMs);
      waiters.add(waiter);
    });

  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    envelopes,
    events: all,
    waitFor: async (predicate, timeoutMs) => {
      const [first] = await waitForCount(predicate, 1, timeoutMs);
      if (!first) throw new Error('unreachable');
      return first;
    },
    waitForCount,
    clear: () => {
      envelopes.length = 0;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
