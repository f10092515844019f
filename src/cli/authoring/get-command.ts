/** `get is [NAME]` and `get istag [NAME:TAG]`: the tables `oc get` prints (oas `pkg/image/printers/internalversion`). */
import { stringify } from 'yaml';
import { findStatusTag, metadataOf, specOf, specTagsOf, statusOf, statusTagsOf } from '../../reconcile/accessors.js';
import { kinds } from '../../reconcile/model.js';
import type { ManifestObject } from '../../reconcile/objects.js';
import { notFoundMessage, parseImageObjectTarget } from '../../reconcile/oc-objects.js';
import { resolveLatestTaggedImage } from '../../reconcile/status.js';
import { prioritizeTags } from '../../reconcile/tag-order.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { DescribeFlags } from './describe-command.js';
import { humanAgo, nowOf } from './describe-command.js';
import { openWorkspace } from './tag-command.js';

/** Columns padded as kubectl's table printer pads them (three spaces after the widest cell). */
function table(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

function streamRow(value: Record<string, unknown>, nowMs: number): string[] {
  const status = statusOf(value);
  const spec = specOf(value);
  const tags = statusTagsOf(value);
  const names = prioritizeTags(tags.filter((t) => (t.items ?? []).length > 0).map((t) => t.tag));
  const latest = tags
    .flatMap((t) => (t.items ?? []).slice(0, 1).map((i) => i.created ?? ''))
    .sort()
    .at(-1);
  const repo =
    typeof status.dockerImageRepository === 'string' && status.dockerImageRepository !== ''
      ? status.dockerImageRepository
      : typeof spec.dockerImageRepository === 'string'
        ? spec.dockerImageRepository
        : '';
  const shown = names.length > 3 ? `${names.slice(0, 3).join(',')} + ${names.length - 3} more...` : names.join(',');
  return [String(metadataOf(value).name ?? ''), repo, shown, latest ? humanAgo(latest, nowMs) : ''];
}

/** One ImageStreamTag row: NAME, IMAGE REFERENCE (the reference policy applied, as the server's newISTag does), UPDATED. */
function tagRows(value: Record<string, unknown>, only: string | undefined, nowMs: number): string[][] {
  const name = String(metadataOf(value).name ?? '');
  const status = statusOf(value);
  const repository = typeof status.dockerImageRepository === 'string' ? status.dockerImageRepository : '';
  const tags = statusTagsOf(value).filter((t) => (t.items ?? []).length > 0 && (only === undefined || t.tag === only));
  return tags
    .map((t) => t.tag)
    .sort()
    .map((tag) => {
      const head = findStatusTag(statusTagsOf(value), tag)?.items?.[0];
      const ref = resolveLatestTaggedImage(statusTagsOf(value), specTagsOf(value), repository, tag) ?? '';
      return [`${name}:${tag}`, ref, humanAgo(head?.created, nowMs)];
    });
}

export async function getCommand(args: readonly string[], flags: DescribeFlags, io: CliIo): Promise<ExitCodeValue> {
  const parsed = parseImageObjectTarget(args, [kinds.imageStream, kinds.imageStreamTag], 'get');
  if (!parsed.ok) throw new UsageError(parsed.error);
  const t = parsed.target;
  const ws = await openWorkspace(flags, io);
  const nowMs = nowOf(flags);
  const namespace = t.namespace ?? ws.defaultNamespace;
  const streamName = t.name === undefined ? undefined : typeof t.name === 'string' ? t.name : t.name.stream;
  let streams: ManifestObject[] = ws.repo.objects
    .filter((o) => o.kind === kinds.imageStream && !o.template && ws.namespaceOf(o) === namespace)
    .filter((o) => streamName === undefined || metadataOf(o.value).name === streamName);
  if (streamName !== undefined) {
    const one = ws.one(kinds.imageStream, namespace, streamName);
    if (!one) throw new UsageError(notFoundMessage(kinds.imageStream, streamName), 'not-found');
    streams = [one];
  }
  if (t.kind === kinds.imageStream) {
    if (flags.output === 'json' || flags.output === 'yaml') {
      const out = streamName !== undefined ? streams[0]?.value : { apiVersion: 'v1', kind: kinds.list, items: streams.map((s) => s.value) };
      io.stdout(flags.output === 'json' ? `${JSON.stringify(out, null, 2)}\n` : stringify(out));
      return ExitCode.ok;
    }
    io.stdout(table([['NAME', 'IMAGE REPOSITORY', 'TAGS', 'UPDATED'], ...streams.map((s) => streamRow(ws.valueOf(s), nowMs))]));
    return ExitCode.ok;
  }
  const only = t.kind === kinds.imageStreamTag && t.name !== undefined ? t.name.tag : undefined;
  const rows = streams
    .slice()
    .sort((a, b) => String(metadataOf(a.value).name).localeCompare(String(metadataOf(b.value).name)))
    .flatMap((s) => tagRows(ws.valueOf(s), only, nowMs));
  if (only !== undefined && rows.length === 0)
    throw new UsageError(notFoundMessage(kinds.imageStreamTag, `${streamName}:${only}`), 'not-found');
  if (flags.output === 'json' || flags.output === 'yaml') {
    const items = rows.map(([name, ref, updated]) => ({ name, dockerImageReference: ref, updated }));
    io.stdout(flags.output === 'json' ? `${JSON.stringify(items, null, 2)}\n` : stringify(items));
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    io.stderr(`No resources found in ${namespace} namespace.\n`);
    return ExitCode.ok;
  }
  io.stdout(table([['NAME', 'IMAGE REFERENCE', 'UPDATED'], ...rows]));
  return ExitCode.ok;
}
