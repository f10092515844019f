/** Git and webhook settings the shell reads: commit author, HTTP(S) credentials, shared secrets (never from the repo). */
import { readFileSync } from 'node:fs';
import type { GitAuthor, GitCredentials } from '../gitsource/repo.js';
import { UsageError } from './exit-codes.js';

/** `Name <email>`. */
export function parseAuthor(text: string): GitAuthor {
  const m = /^(.+?)\s*<([^>]+)>$/.exec(text);
  if (!m) throw new UsageError(`--author: "${text}" is not "Name <email>"`);
  return { name: m[1] as string, email: m[2] as string };
}

/** A secret from a file (trimmed) or, failing that, an environment value. */
export function readSecret(file: string | undefined, env: string | undefined, what: string): string | undefined {
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  return env || undefined;
}

/** Git credentials from a file (`{"username","password"}` JSON or `user:password`) or the environment. */
export function gitCredentials(file: string | undefined, env: Readonly<Record<string, string | undefined>>): GitCredentials | undefined {
  if (file) {
    const text = readSecret(file, undefined, 'Git credentials') ?? '';
    try {
      const j = JSON.parse(text) as { username?: unknown; password?: unknown; token?: unknown };
      const password = typeof j.password === 'string' ? j.password : typeof j.token === 'string' ? j.token : '';
      return { username: typeof j.username === 'string' ? j.username : 'x-access-token', password };
    } catch {
      const i = text.indexOf(':');
      if (i < 1) throw new UsageError(`Git credentials file ${file}: expected JSON {"username","password"} or user:password`);
      return { username: text.slice(0, i), password: text.slice(i + 1) };
    }
  }
  if (env.IMAGESTREAMS_GIT_PASSWORD)
    return { username: env.IMAGESTREAMS_GIT_USERNAME || 'x-access-token', password: env.IMAGESTREAMS_GIT_PASSWORD };
  return undefined;
}

/**
 * `https://user:password@host/repo.git` → the URL without them, and the credentials. Credentials never stay in a
 * URL that is printed, logged or handed to Git (isomorphic-git would put it in its error messages).
 */
export function splitUrlCredentials(url: string, flag: string): { url: string; credentials: GitCredentials | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${flag}: "${url.replace(/\/\/[^/@]*@/, '//')}" is not a URL such as https://git.example.com/ops/deploy.git`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new UsageError(`${flag}: only http:// and https:// Git remotes are supported, not ${parsed.protocol}`);
  if (!parsed.username && !parsed.password) return { url, credentials: undefined };
  const credentials = { username: decodeURIComponent(parsed.username) || 'x-access-token', password: decodeURIComponent(parsed.password) };
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), credentials };
}
