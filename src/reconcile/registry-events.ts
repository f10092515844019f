/**
 * Registry notifications (the distribution registry's event envelope) → which `from.name` sources were pushed.
 * A registry is often known by several names (`registry.internal:5000`, `127.0.0.1:5000`, a load balancer), so
 * hosts are compared through configured aliases. Pure.
 */
import { dockerClientDefaults, isDigest, parseOpenShiftReference } from './reference.js';

export interface PushedImage {
  readonly host: string;
  readonly repository: string;
  /** The tag pushed, if any (a push by digest carries none). */
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The pushes in an envelope (`{"events":[...]}`); anything else in it is ignored. */
export function pushedImages(envelope: unknown): PushedImage[] {
  const events = rec(envelope).events;
  if (!Array.isArray(events)) return [];
  const out: PushedImage[] = [];
  for (const e of events) {
    const event = rec(e);
    if (event.action !== 'push') continue;
    const target = rec(event.target);
    const repository = str(target.repository);
    if (!repository) continue;
    let host = str(rec(event.request).host);
    const url = str(target.url);
    if (!host && url) {
      try {
        host = new URL(url).host;
      } catch {
        // no host to match
      }
    }
    if (!host) continue;
    out.push({ host: host.toLowerCase(), repository, tag: str(target.tag), digest: str(target.digest) });
  }
  return out;
}

/** Aliases: each group names one registry. `docker.io` and its API hosts are always one. */
export function hostMatcher(aliases: ReadonlyArray<readonly string[]>): (a: string, b: string) => boolean {
  const groups = [['docker.io', 'index.docker.io', 'registry-1.docker.io'], ...aliases.map((g) => g.map((h) => h.toLowerCase()))];
  return (a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x === y || groups.some((g) => g.includes(x) && g.includes(y));
  };
}

/** A predicate over `from.name`: does this source name one of the pushed images? */
export function pushedSources(pushes: readonly PushedImage[], sameHost: (a: string, b: string) => boolean): (from: string) => boolean {
  return (from) => {
    const parsed = parseOpenShiftReference(from);
    if (!parsed.ok || parsed.value.name === '') return false;
    const d = dockerClientDefaults(parsed.value);
    const repository = d.namespace ? `${d.namespace}/${d.name}` : d.name;
    const ref = isDigest(d.id) ? d.id : d.tag;
    return pushes.some(
      (p) => sameHost(p.host, d.registry) && p.repository === repository && (p.tag === undefined ? p.digest === ref : p.tag === ref),
    );
  };
}
