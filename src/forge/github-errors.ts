/** Octokit's RequestError (and fetch's own failures) → ForgeError, with the forge's message and nothing else. */
import { codeOfStatus, ForgeError, safeText } from './forge.js';

interface OctokitLikeError {
  readonly status?: number;
  readonly message?: string;
  readonly name?: string;
  readonly response?: {
    readonly headers?: Record<string, string | number | undefined>;
    readonly data?: { readonly message?: unknown; readonly errors?: ReadonlyArray<{ readonly message?: unknown }> };
  };
}

export function forgeFailure(err: unknown, what: string): ForgeError {
  if (err instanceof ForgeError) return err;
  const e = err as OctokitLikeError;
  const status = typeof e.status === 'number' ? e.status : 0;
  const data = e.response?.data;
  const details = (data?.errors ?? []).map((x) => safeText(x.message)).filter(Boolean);
  const remaining = e.response?.headers?.['x-ratelimit-remaining'];
  const code = codeOfStatus(status, String(remaining) === '0');
  if (status === 422 && details.some((d) => /already exists/i.test(d)))
    return new ForgeError('exists', `${what}: GitHub says ${details.join('; ')}`, status);
  // A request that never got an answer (refused, reset, timed out) comes back from @octokit/request as a 500.
  const message = status >= 500 || status === 0 ? safeText(e.message) : safeText(data?.message ?? e.message);
  const text = [message, ...details].filter(Boolean).join('; ');
  return new ForgeError(code, `${what}: GitHub answered ${status === 0 ? 'nothing' : `HTTP ${status}`}${text ? `: ${text}` : ''}`, status);
}
