/** `rollback istag/NAME:TAG` and `prune`: work on a stream's history, in the repository. */
import { findStatusTag, metadataOf, statusTagsOf } from '../../reconcile/accessors.js';
import { withTagRolledBack } from '../../reconcile/authoring.js';
import { kinds } from '../../reconcile/model.js';
import { isRecord } from '../../reconcile/objects.js';
import { notFoundMessage } from '../../reconcile/oc-objects.js';
import { imagePins } from '../../reconcile/pins.js';
import { planStreams } from '../../reconcile/plan.js';
import { resolveImageID } from '../../reconcile/status.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseDuration, parseNow } from '../clock.js';
import type { AuthoringFlags } from './tag-command.js';
import { openWorkspace } from './tag-command.js';
import { splitNamespaced } from './workspace.js';

export interface RollbackFlags extends AuthoringFlags {
  readonly toRevision?: string;
  readonly toImage?: string;
  readonly now?: string;
}

/**
 * Point a tag at an image from its own history, as a permanent ImageStreamImage tag (the GitOps form of rolling a
 * tag back). `--to-revision N` counts back from the current image (1 = the one before it); `--to-image` takes a
 * digest or a unique prefix.
 */
export async function rollbackCommand(target: string, flags: RollbackFlags, io: CliIo): Promise<ExitCodeValue> {
  const m = /^(?:istag|imagestreamtag)\/(.+):([^:]+)$/i.exec(target);
  if (!m) throw new UsageError(`rollback takes istag/NAME:TAG, not "${target}"`);
  if (flags.toRevision !== undefined && flags.toImage !== undefined) throw new UsageError('give --to-revision or --to-image, not both');
  const ws = await openWorkspace(flags, io);
  const { namespace, name } = splitNamespaced(m[1] as string, ws.defaultNamespace);
  const tag = m[2] as string;
  const stream = ws.one(kinds.imageStream, namespace, name);
  if (!stream) throw new UsageError(notFoundMessage(kinds.imageStream, name), 'not-found');
  const value = ws.valueOf(stream);
  const history = findStatusTag(statusTagsOf(value), tag)?.items ?? [];
  let image: string;
  if (flags.toImage !== undefined) {
    const found = resolveImageID([{ tag, items: history }], flags.toImage);
    if (!found.ok) throw new UsageError(`${name}:${tag}: ${found.message}`);
    image = found.event.image;
  } else {
    const n = flags.toRevision === undefined ? 1 : Number(flags.toRevision);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--to-revision must be a positive integer (1 = the image before the current one)`);
    const item = history[n];
    if (!item)
      throw new UsageError(
        `${name}:${tag} has ${history.length} image${history.length === 1 ? '' : 's'} in its history; there is no revision ${n} before the current one`,
      );
    image = item.image;
  }
  if (!image) throw new UsageError(`${name}:${tag}: that history item has no image (a reference tag) and cannot be pinned`);
  const pinned = withTagRolledBack(value, tag, name, image);
  if (!pinned) throw new UsageError(`${name}:${tag} has no spec tag to point elsewhere`);
  // The status follows at once (offline: an ImageStreamImage needs no registry).
  const planned = planStreams({
    streams: [{ key: 'rollback', namespace, name, value: pinned }],
    tagResults: new Map(),
    repositoryResults: new Map(),
    now: parseNow(flags.now),
    policy: {},
  });
  ws.update(stream, (planned.streams[0]?.value ?? pinned) as Record<string, unknown>);
  await ws.commit(io, flags.dryRun ?? false);
  io.stdout(`Tag ${name}:${tag} ${flags.dryRun ? 'would be ' : ''}rolled back to ${name}@${image}.\n`);
  return ExitCode.ok;
}

export interface PruneFlags extends AuthoringFlags {
  readonly keepTagRevisions: string;
  readonly keepYoungerThan: string;
  readonly confirm?: boolean;
  readonly now?: string;
}

/** Images a workload names: never pruned. */
function workloadImages(ws: Awaited<ReturnType<typeof openWorkspace>>): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'image' && typeof x === 'string') out.add(x);
        else visit(x);
      }
    }
  };
  for (const o of ws.repo.objects) if (o.kind !== kinds.imageStream) visit(o.value.spec);
  return out;
}

export async function pruneCommand(flags: PruneFlags, io: CliIo): Promise<ExitCodeValue> {
  const keep = Number(flags.keepTagRevisions);
  if (!Number.isInteger(keep) || keep < 1)
    throw new UsageError('--keep-tag-revisions must be at least 1 (the current image is always kept)');
  const youngerMs = parseDuration(flags.keepYoungerThan, '--keep-younger-than');
  const nowMs = Date.parse(parseNow(flags.now));
  const ws = await openWorkspace(flags, io);
  const used = workloadImages(ws);
  const streams = ws.repo.objects.filter((o) => o.kind === kinds.imageStream && !o.template);
  const pinned = imagePins(
    streams.map((o) => ({ namespace: ws.namespaceOf(o), name: String(metadataOf(o.value).name ?? ''), value: o.value })),
  );
  let removed = 0;
  for (const stream of streams) {
    const value = ws.valueOf(stream);
    const streamName = String(metadataOf(value).name ?? '');
    const name = `${ws.namespaceOf(stream)}/${streamName}`;
    let changed = false;
    for (const t of statusTagsOf(value)) {
      const items = Array.isArray(t.items) ? t.items : [];
      const kept = items.filter((item, i) => {
        if (i < keep) return true;
        const created = typeof item.created === 'string' ? Date.parse(item.created) : NaN;
        if (!Number.isNaN(created) && nowMs - created < youngerMs) return true;
        if (used.has(String(item.image)) || used.has(String(item.dockerImageReference))) return true;
        if (pinned(ws.namespaceOf(stream), streamName, String(item.image))) return true;
        io.stdout(
          `${flags.confirm && !flags.dryRun ? 'removed' : 'would remove'} ${name}:${String(t.tag)} ${String(item.dockerImageReference)} (created ${String(item.created ?? 'unknown')})\n`,
        );
        removed += 1;
        return false;
      });
      if (kept.length !== items.length) {
        t.items = kept;
        changed = true;
      }
    }
    if (changed) ws.update(stream, value);
  }
  if (removed === 0) io.stdout('nothing to prune\n');
  else if (flags.confirm) await ws.commit(io, flags.dryRun ?? false);
  else io.stdout(`${removed} history item${removed === 1 ? '' : 's'} would be removed; run again with --confirm to remove them\n`);
  return ExitCode.ok;
}
