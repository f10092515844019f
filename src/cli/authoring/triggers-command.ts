/** `imagestreams set triggers KIND/NAME --from-image=stream:tag -c container [--remove] [--manual]`, as `oc set triggers`. */
import { parseTree } from 'jsonc-parser';
import {
  annotationTriggerEdits,
  annotationTriggerRemovals,
  withImageChangeTrigger,
  withoutImageChangeTrigger,
} from '../../reconcile/authoring.js';
import type { TriggerEntryEdit, TriggerRequest } from '../../reconcile/authoring.js';
import type { PodSpecContainers } from '../../reconcile/fieldpath.js';
import { podSpecSegments } from '../../reconcile/fieldpath.js';
import { annotations as known, kinds, workloadKindForAlias } from '../../reconcile/model.js';
import { isRecord } from '../../reconcile/objects.js';
import { notFoundMessage } from '../../reconcile/oc-objects.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { AuthoringFlags } from './tag-command.js';
import { openWorkspace, said } from './tag-command.js';

export interface TriggerFlags extends AuthoringFlags {
  readonly fromImage?: string;
  readonly containers?: string[];
  readonly remove?: boolean;
  readonly removeAll?: boolean;
  readonly manual?: boolean;
  readonly auto?: boolean;
}

/**
 * Applies entry edits to the annotation's JSON text: entries left alone keep their exact text, and the separator
 * between entries is the one the text already uses. Returns undefined when no entry is left.
 */
function spliceEntries(text: string, entries: readonly unknown[], edits: readonly TriggerEntryEdit[]): string | undefined {
  const replaced = new Map<number, Record<string, unknown>>();
  const removed = new Set<number>();
  const appended: Array<Record<string, unknown>> = [];
  for (const e of edits) {
    if (e.op === 'replace') replaced.set(e.index, e.value);
    else if (e.op === 'remove') removed.add(e.index);
    else appended.push(e.value);
  }
  const root = parseTree(text);
  const nodes = root?.type === 'array' ? (root.children ?? []) : [];
  if (nodes.length !== entries.length || nodes.length === 0) {
    const values = [...entries.flatMap((v, i) => (removed.has(i) ? [] : [replaced.get(i) ?? v])), ...appended];
    return values.length === 0 ? undefined : JSON.stringify(values);
  }
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  const second = nodes[1];
  if (!first || !last) return undefined;
  const separator = second ? text.slice(first.offset + first.length, second.offset) : ',';
  const items = [
    ...nodes.flatMap((n, i) =>
      removed.has(i) ? [] : [replaced.has(i) ? JSON.stringify(replaced.get(i)) : text.slice(n.offset, n.offset + n.length)],
    ),
    ...appended.map((v) => JSON.stringify(v)),
  ];
  return items.length === 0 ? undefined : `${text.slice(0, first.offset)}${items.join(separator)}${text.slice(last.offset + last.length)}`;
}

export async function setTriggersCommand(target: string, flags: TriggerFlags, io: CliIo): Promise<ExitCodeValue> {
  const slash = target.indexOf('/');
  const kind = slash > 0 ? workloadKindForAlias(target.slice(0, slash)) : undefined;
  if (!kind) throw new UsageError(`set triggers takes KIND/NAME (deploy/NAME, sts/NAME, dc/NAME, ...), not "${target}"`);
  const ws = await openWorkspace(flags, io);
  const name = target.slice(slash + 1);
  const object = ws.one(kind, ws.defaultNamespace, name);
  if (!object) throw new UsageError(notFoundMessage(kind, name), 'not-found');
  if (!flags.removeAll && !flags.fromImage) throw new UsageError('--from-image=<stream>:<tag> is required (or --remove-all)');
  if (flags.fromImage && !/^[^:@/]+(\/[^:@/]+)?:[^:@/]+$/.test(flags.fromImage))
    throw new UsageError(`--from-image: "${flags.fromImage}" is not of the form <stream>:<tag>`);
  const value = ws.valueOf(object);
  const namespace = ws.namespaceOf(object);
  const segments = podSpecSegments(kind) ?? [];
  const spec = segments.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), value);
  const namesOf = (l: 'containers' | 'initContainers'): Array<{ name?: string }> =>
    isRecord(spec) && Array.isArray(spec[l])
      ? (spec[l] as unknown[]).map((x) => (isRecord(x) && typeof x.name === 'string' ? { name: x.name } : {}))
      : [];
  const podSpec: PodSpecContainers = { containers: namesOf('containers'), initContainers: namesOf('initContainers') };
  const allContainers = [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])].flatMap((c) =>
    c.name === undefined ? [] : [c.name],
  );
  const containers = flags.containers?.length ? flags.containers : flags.removeAll ? [] : allContainers.slice(0, 1);
  for (const c of containers)
    if (!allContainers.includes(c))
      throw new UsageError(`container "${c}" not found in ${kind.toLowerCase()}/${name} (has: ${allContainers.join(', ') || 'none'})`);
  const [streamPart, tagPart] = (flags.fromImage ?? '').split(':') as [string, string];
  const streamNs = streamPart.includes('/') ? streamPart.slice(0, streamPart.indexOf('/')) : undefined;
  const from = {
    name: `${streamNs ? streamPart.slice(streamNs.length + 1) : streamPart}:${tagPart}`,
    ...(streamNs ? { namespace: streamNs } : {}),
  };
  const request: TriggerRequest = { from, containers, manual: flags.manual === true };

  if (kind === kinds.deploymentConfig) {
    const next = flags.removeAll
      ? withoutImageChangeTrigger(value, undefined, namespace, undefined)
      : flags.remove
        ? withoutImageChangeTrigger(value, from, namespace, flags.containers)
        : withImageChangeTrigger(value, request, namespace);
    ws.update(object, next);
  } else {
    const metadata = isRecord(value.metadata) ? value.metadata : (value.metadata = {});
    const notes = isRecord(metadata.annotations) ? metadata.annotations : {};
    const text = typeof notes[known.triggers] === 'string' ? (notes[known.triggers] as string) : '[]';
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      throw new UsageError(`${kind.toLowerCase()}/${name}: the ${known.triggers} annotation is not valid JSON; fix it first`);
    }
    if (!Array.isArray(entries))
      throw new UsageError(`${kind.toLowerCase()}/${name}: the ${known.triggers} annotation is not a JSON array; fix it first`);
    const edits = flags.removeAll
      ? entries.map((_, index) => ({ op: 'remove' as const, index }))
      : flags.remove
        ? annotationTriggerRemovals(kind, podSpec, entries, from, namespace, flags.containers)
        : annotationTriggerEdits(kind, podSpec, entries, request);
    const next = edits.length === 0 ? text : spliceEntries(text, entries, edits);
    if (next === undefined) delete notes[known.triggers];
    else if (next !== text || typeof notes[known.triggers] === 'string') notes[known.triggers] = next;
    if (Object.keys(notes).length > 0) metadata.annotations = notes;
    else delete metadata.annotations;
    ws.update(object, value);
  }
  await ws.commit(io, flags.dryRun ?? false);
  io.stdout(`${kind.toLowerCase()}/${name} triggers ${said(flags, 'updated')}\n`);
  return ExitCode.ok;
}
