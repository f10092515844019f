/**
 * The forge clients' fetch: undici's (Node 20's global fetch is an older bundled copy), every request bounded by
 * `forgeRequestTimeoutMs` and by the pass's AbortSignal when one is given.
 */
import { fetch as undiciFetch } from 'undici';
import { forgeRequestTimeoutMs } from './forge.js';

export function forgeFetch(options: { signal?: () => AbortSignal | undefined; timeoutMs?: number } = {}): typeof globalThis.fetch {
  const timeout = options.timeoutMs ?? forgeRequestTimeoutMs;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const signals = [AbortSignal.timeout(timeout), init?.signal, options.signal?.()].filter((s): s is AbortSignal => s != null);
    // undici's fetch takes the same arguments; its types differ from the DOM's in details that do not matter here.
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      signal: AbortSignal.any(signals),
    }) as unknown as Response;
  }) as typeof globalThis.fetch;
}
