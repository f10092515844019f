import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { makeTempDir, removeDir } from './tmp.js';

export const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

/** Identity and config used for every git CLI call made by the helpers. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

/** Run the git CLI (tests/support only); returns trimmed stdout, throws with stderr on failure. */
export function git(args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync('git', args, {
      cwd,
      env: { ...process.env, ...GIT_ENV, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/**
 * Async git CLI. Use this (not `git`) for clone/fetch/push against a git server running in the
 * same process: execFileSync would block the event loop that serves the request and deadlock.
 */
export function gitAsync(args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...GIT_ENV, ...env }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')} failed: ${stderr || err.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}

export interface GitServerOptions {
  /** Directory holding bare repos (default: a fresh temp dir, removed on stop). */
  projectRoot?: string;
  /** username -> password; when set, the wrapper requires Basic auth. */
  users?: Record<string, string>;
  /** With users set: allow unauthenticated fetch/clone, require auth only for push. */
  anonymousRead?: boolean;
}

export interface GitRequestRecord {
  method: string;
  url: string;
  user: string | null;
  status: number;
}

export interface GitServer {
  url: string;
  port: number;
  projectRoot: string;
  /** http://127.0.0.1:PORT/<name>.git (name without .git). */
  repoUrl(name: string, credentials?: { username: string; password: string }): string;
  requests: GitRequestRecord[];
  stop(): Promise<void>;
}

function parseBasic(h: string | undefined): { user: string; pass: string } | null {
  if (!h?.toLowerCase().startsWith('basic ')) return null;
  const s = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i < 0 ? null : { user: s.slice(0, i), pass: s.slice(i + 1) };
}

function isPush(u: URL): boolean {
  return u.pathname.endsWith('/git-receive-pack') || u.searchParams.get('service') === 'git-receive-pack';
}

/** Start a node:http wrapper spawning `git http-backend` (CGI) per request. */
export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const ownRoot = options.projectRoot === undefined;
  const projectRoot = options.projectRoot ?? makeTempDir('is-git');
  mkdirSync(projectRoot, { recursive: true });
  const requests: GitRequestRecord[] = [];
  const users = options.users;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: GitRequestRecord = { method: req.method ?? '', url: req.url ?? '', user: null, status: 0 };
    requests.push(record);
    if (users) {
      const cred = parseBasic(req.headers.authorization);
      const ok = cred !== null && users[cred.user] !== undefined && users[cred.user] === cred.pass;
      if (ok) record.user = cred.user;
      else if (!(options.anonymousRead && !isPush(u))) {
        record.status = 401;
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' }).end('unauthorized\n');
        return;
      }
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: projectRoot,
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.replace(/^\?/, ''),
      REMOTE_USER: record.user ?? 'anonymous',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
    };
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    const proto = req.headers['git-protocol'];
    if (typeof proto === 'string') env.GIT_PROTOCOL = proto;

    const child = spawn(GIT_HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const errChunks: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => errChunks.push(c));
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);

    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let sep = head.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (sep < 0) {
        sep = head.indexOf('\n\n');
        sepLen = 2;
      }
      if (sep < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, sep).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      record.status = status;
      res.writeHead(status, headers);
      const rest = head.subarray(sep + sepLen);
      if (rest.length > 0) res.write(rest);
    });
    child.on('close', (code) => {
      if (!headersDone) {
        record.status = 500;
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git http-backend exited ${code}: ${Buffer.concat(errChunks).toString()}`);
        return;
      }
      res.end();
    });
    child.on('error', (err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    projectRoot,
    repoUrl: (name, credentials) => {
      const auth = credentials ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@` : '';
      return `http://${auth}127.0.0.1:${port}/${name}.git`;
    },
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (ownRoot) removeDir(projectRoot);
    },
  };
}

export interface BareRepoOptions {
  /** Files to commit as the initial commit: relative path -> content. */
  files?: Record<string, string | Buffer>;
  /** A directory whose contents are copied and committed (in addition to files). */
  fromDir?: string;
  branch?: string;
  message?: string;
}

/** Create `<projectRoot>/<name>.git` (bare, receivepack enabled), optionally seeded with one commit. */
export function createBareRepo(projectRoot: string, name: string, opts: BareRepoOptions = {}): string {
  const branch = opts.branch ?? 'main';
  const bare = join(projectRoot, `${name}.git`);
  mkdirSync(dirname(bare), { recursive: true });
  git(['init', '-q', '--bare', '-b', branch, bare]);
  git(['config', 'http.receivepack', 'true'], bare);
  git(['config', 'receive.denyNonFastForwards', 'false'], bare);
  if (opts.files === undefined && opts.fromDir === undefined) return bare;
  const work = makeTempDir('is-git-seed');
  try {
    git(['init', '-q', '-b', branch, work]);
    if (opts.fromDir) cpSync(opts.fromDir, work, { recursive: true, filter: (src) => !src.endsWith('/.git') });
    for (const [rel, content] of Object.entries(opts.files ?? {})) {
      const p = join(work, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    git(['add', '-A'], work);
    git(['commit', '-q', '--allow-empty', '-m', opts.message ?? 'initial commit'], work);
    git(['push', '-q', bare, `${branch}:${branch}`], work);
  } finally {
    removeDir(work);
  }
  return bare;
}

/** Install an executable hook script (e.g. pre-receive) into a bare repo. */
export function installHook(bareRepoPath: string, hook: string, script: string): void {
  const dir = join(bareRepoPath, 'hooks');
  mkdirSync(dir, { recursive: true });
  const p = join(dir, hook);
  writeFileSync(p, script.startsWith('#!') ? script : `#!/bin/sh\n${script}`);
  chmodSync(p, 0o755);
}

/** A pre-receive hook that declines every push with the given message. */
export function installDecliningPreReceive(bareRepoPath: string, message = 'push declined by test hook'): void {
  installHook(bareRepoPath, 'pre-receive', `#!/bin/sh\necho ${JSON.stringify(message)} >&2\nexit 1\n`);
}
