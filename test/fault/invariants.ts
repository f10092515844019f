/**
 * What must hold after any fault schedule, once the daemon has settled:
 *
 *  human-commit-kept     every commit a person pushed is an ancestor of the final head (nothing force-pushed away)
 *  human-edit-present    and what each person changed is still in the final tree (no commit reverted it)
 *  parses                every revision of every YAML/JSON file in the history parses
 *  history-no-duplicates no status.tags[].items list, in any revision, has two consecutive items of one image
 *  daemon-writes-status  a commit by the daemon changes only stream status (and the annotations it keeps there) and
 *                        workload images: what people wrote in the parent is still there (no stale file landed)
 *  notification-landed   every accepted notification's digest is in the history of each tag that follows the pushed
 *                        repository:tag and existed when it was accepted, unless a later push to that tag replaced
 *                        it first (the daemon imports the tag, not the digest, as OpenShift does); and for the last
 *                        push to each tag, those tags end on its digest
 *  converged             a fault-free one-shot `imagestreams reconcile --check` (the CLI, a fresh clone of the final
 *                        head, a fresh metadata cache, the same registry with no faults) finds nothing to change
 *
 * (daemon-settles, notification-delivered, clean-exit and nothing-left-running are checked by the harness.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { FaultProxy } from '../support/fault-proxy.js';
import { gitAsync } from '../support/git-server.js';
import { pullSpec, streamFiles } from './fixture.js';
import type { HumanCommit, NotificationRecord, PushRecord } from './harness.js';
import { runCli } from './cli.js';
import type { StreamDoc } from './history.js';
import { gitIn, isAncestor, parseData, readHistory, streamsIn } from './history.js';
import { targetName, targets } from './schedule.js';

export interface Violation {
  readonly invariant: string;
  readonly detail: string;
}

export interface CheckInput {
  readonly bare: string;
  readonly dir: string;
  readonly host: string;
  readonly pushes: readonly PushRecord[];
  readonly notifications: readonly NotificationRecord[];
  readonly humanCommits: readonly HumanCommit[];
  readonly daemonEmail: string;
  readonly proxy: FaultProxy;
  readonly log: (line: string) => void;
}

export interface CheckResult {
  readonly violations: Violation[];
  readonly revisions: number;
  readonly blobs: number;
  readonly commits: number;
  readonly daemonCommits: number;
  readonly humanCommitsKept: number;
  /**
   * Not invariants: what a person would want to know. A tag whose import failed under a fault and that nothing
   * asked to import again keeps its ImportSuccess=False condition (by design, as in OpenShift: only scheduled
   * tags are retried, every interval; a notification or a spec change imports again).
   */
  readonly observations: string[];
}

const short = (s: string): string => s.slice(0, 12);

/**
 * A tag a person added is covered by a notification when their push had landed before the daemon accepted it. The
 * harness sees both a little late (the push returning, the 202 arriving), so it asks for half a second between
 * them: a tag pushed in the same instant may be planned by the pass after, as a never-imported tag.
 */
const coverMarginMs = 500;
const coveredBy = (since: number, acceptedAt: number): boolean => since === 0 || since + coverMarginMs <= acceptedAt;
const shortDigest = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

function finalFile(bare: string, head: string, file: string): string | undefined {
  try {
    return gitIn(bare, ['show', `${head}:${file}`]);
  } catch {
    return undefined;
  }
}

function finalStream(bare: string, head: string, file: string): StreamDoc | undefined {
  const text = finalFile(bare, head, file);
  if (text === undefined) return undefined;
  return streamsIn(parseData(file, text).documents)[0];
}

/** Annotations the daemon keeps on streams (the import record, OpenShift's repository check). */
const managedAnnotations = new Set(['imagestreams.dev/import-spec', 'openshift.io/image.dockerRepositoryCheck']);

/** A document without what the daemon owns: stream status and its annotations, container images. */
export function humanPart(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null) return doc;
  const copy = structuredClone(doc) as Record<string, unknown> & {
    metadata?: { annotations?: Record<string, unknown> };
    spec?: { template?: { spec?: { containers?: Array<Record<string, unknown>>; initContainers?: Array<Record<string, unknown>> } } };
  };
  if (copy.kind === 'ImageStream') {
    delete copy.status;
    const notes = copy.metadata?.annotations;
    if (notes) for (const k of Object.keys(notes)) if (managedAnnotations.has(k)) delete notes[k];
    if (notes && Object.keys(notes).length === 0 && copy.metadata) delete copy.metadata.annotations;
  }
  for (const list of [copy.spec?.template?.spec?.containers, copy.spec?.template?.spec?.initContainers])
    for (const c of list ?? []) delete c.image;
  return copy;
}

export async function checkInvariants(input: CheckInput): Promise<CheckResult> {
  const { bare, host } = input;
  const violations: Violation[] = [];
  const history = readHistory(bare);
  const head = history.head;

  // Human commits, and their edits.
  let kept = 0;
  for (const h of input.humanCommits) {
    if (isAncestor(bare, h.commit, head)) kept += 1;
    else
      violations.push({
        invariant: 'human-commit-kept',
        detail: `${h.who}'s commit ${short(h.commit)} (${JSON.stringify(h.edit)}) is not in the final history`,
      });
  }
  for (const h of input.humanCommits) {
    const e = h.edit;
    let present = true;
    if (e.kind === 'note') present = (finalFile(bare, head, 'docs/notes.md') ?? '').includes(`- ${e.line}\n`);
    else if (e.kind === 'config-key') {
      const cm = parse(finalFile(bare, head, 'config/settings.yaml') ?? '') as { data?: Record<string, string> } | null;
      present = cm?.data?.[e.key] === e.value;
    } else if (e.kind === 'annotation')
      present = finalStream(bare, head, streamFiles[e.stream])?.metadata?.annotations?.[e.key] === e.value;
    else
      present =
        finalStream(bare, head, streamFiles[e.stream])?.spec?.tags?.some(
          (t) => t.name === e.name && t.from?.name === pullSpec(host, e.target),
        ) === true;
    if (!present)
      violations.push({
        invariant: 'human-edit-present',
        detail: `${h.who}'s edit ${JSON.stringify(e)} (commit ${short(h.commit)}) is not in the final tree`,
      });
  }

  // Every revision parses; no history list repeats an image.
  const parseFailures = history.revisions.filter((r) => history.blobs.get(r.blob)?.error !== undefined);
  const seenBad = new Set<string>();
  for (const r of parseFailures) {
    if (seenBad.has(r.blob)) continue;
    seenBad.add(r.blob);
    violations.push({
      invariant: 'parses',
      detail: `${r.path} at ${short(r.commit)} does not parse: ${history.blobs.get(r.blob)?.error?.slice(0, 300) ?? ''}`,
    });
  }
  const dupReported = new Set<string>();
  for (const r of history.revisions) {
    if (dupReported.has(r.blob)) continue;
    for (const s of streamsIn(history.blobs.get(r.blob)?.documents)) {
      for (const t of s.status?.tags ?? []) {
        const items = t.items ?? [];
        for (let i = 1; i < items.length; i += 1) {
          if (items[i]?.image !== undefined && items[i]?.image === items[i - 1]?.image) {
            dupReported.add(r.blob);
            violations.push({
              invariant: 'history-no-duplicates',
              detail: `${r.path} at ${short(r.commit)}: status tag ${t.tag} has ${shortDigest(items[i]?.image ?? '')} twice in a row (items ${i - 1} and ${i})`,
            });
            break;
          }
        }
      }
    }
  }

  // The daemon's commits change only what is the daemon's to change.
  const blobAt = new Map<string, string>();
  for (const rev of history.revisions) blobAt.set(`${rev.commit}:${rev.path}`, rev.blob);
  const docsAt = (commit: string, file: string): unknown[] | undefined => {
    const blob = blobAt.get(`${commit}:${file}`);
    return blob ? history.blobs.get(blob)?.documents : undefined;
  };
  for (const c of history.commits) {
    if (c.email !== input.daemonEmail) continue;
    if (c.parents.length !== 1) {
      violations.push({
        invariant: 'daemon-writes-status',
        detail: `the daemon's commit ${short(c.commit)} has ${c.parents.length} parents`,
      });
      continue;
    }
    const parent = c.parents[0] as string;
    const changed = gitIn(bare, ['diff-tree', '-r', '--no-commit-id', '--name-only', parent, c.commit]).split('\n').filter(Boolean);
    for (const file of changed) {
      const isStream = (Object.values(streamFiles) as string[]).includes(file);
      if (!isStream && !file.startsWith('apps/')) {
        violations.push({
          invariant: 'daemon-writes-status',
          detail: `the daemon's commit ${short(c.commit)} ("${c.subject}") changes ${file}, which is not its to change`,
        });
        continue;
      }
      const before = docsAt(parent, file);
      const after = docsAt(c.commit, file);
      if (!before || !after) continue; // unparsable or missing: reported by "parses"
      const a = JSON.stringify(before.map((d) => humanPart(d)));
      const b = JSON.stringify(after.map((d) => humanPart(d)));
      if (a !== b)
        violations.push({
          invariant: 'daemon-writes-status',
          detail: `the daemon's commit ${short(c.commit)} ("${c.subject}") changes what people wrote in ${file}:\n  before ${a.slice(0, 600)}\n  after  ${b.slice(0, 600)}`,
        });
    }
  }

  // Notifications: where each tag that follows a pushed repository:tag came from, and since when it existed.
  const followers: Array<{ file: string; stream: StreamDoc; tag: string; target: number; since: number }> = [];
  const addedAt = (file: string, tag: string): number => {
    const h = input.humanCommits.find((c) => c.edit.kind === 'spec-tag' && c.edit.name === tag && streamFiles[c.edit.stream] === file);
    return h ? h.pushedAt : 0;
  };
  for (const file of Object.values(streamFiles)) {
    const stream = finalStream(bare, head, file);
    if (!stream) {
      violations.push({ invariant: 'parses', detail: `${file} is missing from the final tree or holds no ImageStream` });
      continue;
    }
    for (const t of stream.spec?.tags ?? []) {
      if (t.from?.kind !== 'DockerImage') continue;
      const target = targets.findIndex((_, i) => pullSpec(host, i) === t.from?.name);
      if (target >= 0) followers.push({ file, stream, tag: t.name, target, since: addedAt(file, t.name) });
    }
  }
  const statusOf = (f: (typeof followers)[number]) => f.stream.status?.tags?.find((s) => s.tag === f.tag);
  for (const n of input.notifications) {
    if (n.acceptedAt === undefined) continue;
    const superseded = input.pushes.some((p) => p.target === n.push.target && p.order > n.push.order);
    if (superseded) continue;
    for (const f of followers) {
      if (f.target !== n.push.target || !coveredBy(f.since, n.acceptedAt)) continue;
      const st = statusOf(f);
      if (!(st?.items ?? []).some((i) => i.image === n.push.digest)) {
        const cond = st?.conditions?.map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message.slice(0, 160)})` : ''}`).join(', ');
        violations.push({
          invariant: 'notification-landed',
          detail: `accepted ${new Date(n.acceptedAt).toISOString()}: ${targetName(n.push.target)}@${shortDigest(n.push.digest)} (its last push) is not in ${f.file} ${f.stream.metadata?.name}:${f.tag}; items ${JSON.stringify((st?.items ?? []).map((i) => shortDigest(i.image ?? '')))}${cond ? `; conditions ${cond}` : ''}`,
        });
      }
    }
  }
  for (let target = 0; target < targets.length; target += 1) {
    const last = input.pushes.filter((p) => p.target === target).sort((a, b) => b.order - a.order)[0];
    if (!last || last.order === 0) continue;
    const accepted = input.notifications.filter((n) => n.push === last && n.acceptedAt !== undefined).map((n) => n.acceptedAt as number);
    if (accepted.length === 0) continue;
    const first = Math.min(...accepted);
    for (const f of followers) {
      if (f.target !== target || !coveredBy(f.since, first)) continue;
      const now = statusOf(f)?.items?.[0]?.image;
      if (now !== last.digest)
        violations.push({
          invariant: 'notification-landed',
          detail: `${f.file} ${f.stream.metadata?.name}:${f.tag} ends on ${now ? shortDigest(now) : 'no image'}, not on the last notified push ${targetName(target)}@${shortDigest(last.digest)}`,
        });
    }
  }

  // Convergence: a fault-free one-shot reconcile of the final head changes nothing.
  const work = mkdtempSync(path.join(input.dir, 'converge-'));
  try {
    await gitAsync(['clone', '-q', bare, path.join(work, 'repo')]);
    const env = { HOME: work };
    const common = ['--repo', path.join(work, 'repo'), '--cache-dir', path.join(work, 'cache')];
    const before = input.proxy.injected.length;
    const check = await runCli(['reconcile', ...common, '--check'], env);
    if (input.proxy.injected.length !== before)
      violations.push({ invariant: 'harness', detail: 'the convergence check met an injected fault' });
    if (check.code !== 0) {
      const diff =
        check.code === 3 ? await runCli(['reconcile', ...common, '--cache-dir', path.join(work, 'cache2'), '--dry-run'], env) : undefined;
      violations.push({
        invariant: 'converged',
        detail: `reconcile --check of the final head exited ${check.code}${check.code === 3 ? ' (changes pending)' : ''}:\n${(check.stdout + check.stderr).trim().slice(0, 2000)}${diff ? `\n--- what it would change ---\n${diff.stdout.trim().slice(0, 4000)}` : ''}`,
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const observations: string[] = [];
  for (const f of followers) {
    const failed = statusOf(f)?.conditions?.find((c) => c.type === 'ImportSuccess' && c.status === 'False');
    if (failed)
      observations.push(
        `${f.file} ${f.stream.metadata?.name}:${f.tag} ends with ImportSuccess=False: ${failed.message?.slice(0, 200) ?? ''}`,
      );
  }
  input.log(`checked ${history.revisions.length} revisions (${history.blobs.size} blobs) in ${history.commits.length} commits`);

  return {
    violations,
    revisions: history.revisions.length,
    blobs: history.blobs.size,
    commits: history.commits.length,
    daemonCommits: history.commits.filter((c) => c.email === input.daemonEmail).length,
    humanCommitsKept: kept,
    observations,
  };
}
