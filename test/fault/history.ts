/**
 * Reading the whole history of the bare repository a schedule ran against: every commit of the branch, every
 * YAML/JSON file in each, parsed once per distinct blob. Local git only (no network), so the sync CLI is fine.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { GIT_ENV } from '../support/git-server.js';

export function gitIn(bare: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd: bare,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    ...(input !== undefined ? { input } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export interface Revision {
  readonly commit: string;
  readonly path: string;
  readonly blob: string;
}

export interface ParsedBlob {
  readonly blob: string;
  /** The parsed documents, or the parse error. */
  readonly documents?: unknown[];
  readonly error?: string;
}

export interface History {
  readonly head: string;
  /** Newest first. */
  readonly commits: ReadonlyArray<{
    readonly commit: string;
    readonly author: string;
    readonly email: string;
    readonly subject: string;
    readonly parents: readonly string[];
  }>;
  readonly revisions: readonly Revision[];
  readonly blobs: ReadonlyMap<string, ParsedBlob>;
}

const dataFile = /\.(ya?ml|json)$/;

function readBlobs(bare: string, oids: readonly string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (oids.length === 0) return out;
  const raw = execFileSync('git', ['cat-file', '--batch'], { cwd: bare, input: `${oids.join('\n')}\n`, maxBuffer: 512 << 20 });
  let at = 0;
  for (const oid of oids) {
    const nl = raw.indexOf(0x0a, at);
    const header = raw.subarray(at, nl).toString('utf8');
    const size = Number(header.split(' ')[2]);
    if (!header.startsWith(oid) || !Number.isFinite(size)) throw new Error(`git cat-file: unexpected header "${header}"`);
    out.set(oid, raw.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return out;
}

export function parseData(file: string, text: string): { documents?: unknown[]; error?: string } {
  if (file.endsWith('.json')) {
    try {
      return { documents: [JSON.parse(text) as unknown] };
    } catch (err) {
      return { error: String(err) };
    }
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const errors = list.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) return { error: errors.join('; ') };
  return { documents: list.map((d) => d.toJS() as unknown) };
}

export function readHistory(bare: string, branch = 'main'): History {
  const head = gitIn(bare, ['rev-parse', branch]).trim();
  const commits = gitIn(bare, ['log', '--format=%H%x09%P%x09%an%x09%ae%x09%s', branch])
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [commit = '', parents = '', author = '', email = '', ...subject] = l.split('\t');
      return { commit, parents: parents.split(' ').filter(Boolean), author, email, subject: subject.join('\t') };
    });
  const revisions: Revision[] = [];
  for (const c of commits) {
    for (const line of gitIn(bare, ['ls-tree', '-r', c.commit]).split('\n')) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line);
      if (m?.[1] && m[2] && dataFile.test(m[2])) revisions.push({ commit: c.commit, path: m[2], blob: m[1] });
    }
  }
  const unique = [...new Set(revisions.map((r) => r.blob))];
  const bytes = readBlobs(bare, unique);
  const pathOf = new Map(revisions.map((r) => [r.blob, r.path]));
  const blobs = new Map<string, ParsedBlob>();
  for (const oid of unique)
    blobs.set(oid, { blob: oid, ...parseData(pathOf.get(oid) ?? '', (bytes.get(oid) ?? Buffer.alloc(0)).toString('utf8')) });
  return { head, commits, revisions, blobs };
}

export interface StatusItem {
  readonly image?: string;
  readonly dockerImageReference?: string;
}
export interface StatusTag {
  readonly tag: string;
  readonly items?: StatusItem[];
  readonly conditions?: Array<{ type?: string; status?: string; message?: string }>;
}
export interface StreamDoc {
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  readonly spec?: { tags?: Array<{ name: string; from?: { kind?: string; name?: string } }> };
  readonly status?: { tags?: StatusTag[] };
}

export function streamsIn(documents: readonly unknown[] | undefined): StreamDoc[] {
  return (documents ?? []).filter((d): d is StreamDoc => typeof d === 'object' && d !== null && (d as StreamDoc).kind === 'ImageStream');
}

export function isAncestor(bare: string, commit: string, of: string): boolean {
  try {
    gitIn(bare, ['merge-base', '--is-ancestor', commit, of]);
    return true;
  } catch {
    return false;
  }
}
