/** `describe is/NAME`, `describe istag/NAME:TAG` and `describe isimage/NAME@ID`, laid out as `oc` prints them (reference documents). */
import { stringify } from 'yaml';
import { createRegistryImporter } from '../../import/index.js';
import type { Observation } from '../../import/index.js';
import { tagControls } from '../../reconcile/tag-controls.js';
import { findSpecTag, findStatusTag, metadataOf, specOf, specTagsOf, statusOf, statusTagsOf } from '../../reconcile/accessors.js';
import { defaultImportMode, kinds, referencePolicies } from '../../reconcile/model.js';
import type { TagEvent, TagReference } from '../../reconcile/model.js';
import { isRecord } from '../../reconcile/objects.js';
import { notFoundMessage, parseImageObjectTarget } from '../../reconcile/oc-objects.js';
import { resolveImageID } from '../../reconcile/status.js';
import { prioritizeTags } from '../../reconcile/tag-order.js';
import { parseNow } from '../clock.js';
import { loadConfig } from '../config.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { AuthoringFlags } from './tag-command.js';
import { openWorkspace } from './tag-command.js';

export interface DescribeFlags extends AuthoringFlags {
  readonly output?: 'text' | 'json' | 'yaml';
  readonly now?: string;
  readonly offline?: boolean;
}

/** docker/go-units HumanDuration, which `oc describe` uses, plus " ago". */
export function humanAgo(fromIso: string | undefined, nowMs: number): string {
  if (!fromIso) return '<unknown>';
  const ms = nowMs - Date.parse(fromIso);
  if (Number.isNaN(ms)) return '<unknown>';
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  let text: string;
  if (seconds < 1) text = 'Less than a second';
  else if (seconds === 1) text = '1 second';
  else if (seconds < 60) text = `${seconds} seconds`;
  else if (minutes === 1) text = 'About a minute';
  else if (minutes < 60) text = `${minutes} minutes`;
  else if (hours === 1) text = 'About an hour';
  else if (hours < 48) text = `${hours} hours`;
  else if (hours < 24 * 7 * 2) text = `${Math.floor(hours / 24)} days`;
  else if (hours < 24 * 30 * 2) text = `${Math.floor(hours / 24 / 7)} weeks`;
  else if (hours < 24 * 365 * 2) text = `${Math.floor(hours / 24 / 30)} months`;
  else text = `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
  return `${text} ago`;
}

/** docker/go-units HumanSize (decimal, 4 significant digits): "251.2 MB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${Number(v.toPrecision(4))} ${units[i]}`;
}

const record = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const map = (v: unknown): string => {
  const entries = Object.entries(record(v));
  return entries.length === 0 ? '<none>' : entries.map(([k, x]) => `${k}=${String(x)}`).join('\n\t\t\t');
};

export const nowOf = (flags: DescribeFlags): number => Date.parse(parseNow(flags.now));

function taggedFrom(spec: TagReference | undefined): string | undefined {
  const from = spec?.from;
  if (!from?.name) return undefined;
  return from.namespace ? `${from.namespace}/${from.name}` : from.name;
}

export function describeStream(value: Record<string, unknown>, namespace: string, nowMs: number): string {
  const metadata = metadataOf(value);
  const spec = specOf(value);
  const status = statusOf(value);
  const specTags = specTagsOf(value);
  const statusTags = statusTagsOf(value);
  const names = prioritizeTags([...new Set([...specTags.map((t) => t.name), ...statusTags.map((t) => t.tag)])]);
  const unique = new Set(statusTags.flatMap((t) => (t.items ?? []).map((i) => i.image).filter((x) => x !== '')));
  const lines = [
    `Name:\t\t\t${String(metadata.name ?? '')}`,
    `Namespace:\t\t${namespace}`,
    `Created:\t\t${humanAgo(typeof metadata.creationTimestamp === 'string' ? metadata.creationTimestamp : undefined, nowMs)}`,
    `Labels:\t\t\t${map(metadata.labels)}`,
    `Annotations:\t\t${map(metadata.annotations)}`,
    `Docker Pull Spec:\t${typeof status.dockerImageRepository === 'string' && status.dockerImageRepository !== '' ? status.dockerImageRepository : '<none>'}`,
    `Image Lookup:\t\tlocal=${record(spec.lookupPolicy).local === true}`,
    `Unique Images:\t\t${unique.size}`,
    `Tags:\t\t\t${names.length}`,
  ];
  for (const name of names) {
    const t = findSpecTag(specTags, name);
    const st = findStatusTag(statusTags, name);
    lines.push('', name);
    const from = taggedFrom(t);
    if (t?.reference) lines.push(`  reference to registry ${from ?? ''}`);
    else if (t?.importPolicy?.scheduled) lines.push(`  updates automatically from registry ${from ?? ''}`);
    else if (from) lines.push(`  tagged from ${from}`);
    if (t?.referencePolicy?.type === referencePolicies.local) lines.push('  prefer registry pullthrough when referencing this tag');
    for (const note of t ? tagControls(t) : []) lines.push(`  ${note}`);
    lines.push('');
    for (const c of st?.conditions ?? [])
      if (c.status === 'False')
        lines.push(
          `  ! error: Import failed (${c.reason ?? 'Unknown'}): ${c.message ?? ''}`,
          `      ${humanAgo(c.lastTransitionTime, nowMs)}`,
        );
    (st?.items ?? []).forEach((item, i) => {
      lines.push(`  ${i === 0 ? '*' : ' '} ${item.dockerImageReference}`, `      ${humanAgo(item.created, nowMs)}`);
    });
    if ((st?.items ?? []).length === 0 && !(st?.conditions ?? []).length) lines.push('  no image yet');
  }
  return `${lines.join('\n')}\n`;
}

function describeTag(
  name: string,
  item: { created?: string; dockerImageReference: string; image: string },
  o: Observation | undefined,
  nowMs: number,
): string {
  const meta = o?.ok ? o.image.metadata : undefined;
  const layers = o?.ok ? o.image.layers : [];
  const cfg = meta?.Config;
  const lines = [
    `Image Name:\t${item.image || '<none>'}`,
    `Docker Image:\t${item.dockerImageReference}`,
    `Name:\t\t${name}`,
    `Created:\t${humanAgo(item.created, nowMs)}`,
  ];
  if (meta) {
    const first = layers[0];
    const last = layers.at(-1);
    lines.push(
      `Image Size:\t${humanSize(meta.Size)}${first && last ? ` (first layer ${humanSize(first.size)}, last binary layer ${humanSize(last.size)})` : ''}`,
      `Image Created:\t${humanAgo(meta.Created, nowMs)}`,
      `Author:\t\t${meta.Author ?? '<none>'}`,
      `Arch:\t\t${meta.Architecture ?? '<none>'}`,
      ...(cfg?.Entrypoint ? [`Entrypoint:\t${cfg.Entrypoint.join(' ')}`] : []),
      ...(cfg?.Cmd ? [`Command:\t${cfg.Cmd.join(' ')}`] : []),
      ...(cfg?.WorkingDir ? [`Working Dir:\t${cfg.WorkingDir}`] : []),
      ...(cfg?.User ? [`User:\t\t${cfg.User}`] : []),
      ...(cfg?.ExposedPorts ? [`Exposes Ports:\t${Object.keys(cfg.ExposedPorts).join(', ')}`] : []),
      ...(cfg?.Labels && Object.keys(cfg.Labels).length > 0
        ? [
            `Docker Labels:\t${Object.entries(cfg.Labels)
              .map(([k, v]) => `${k}=${v}`)
              .join('\n\t\t')}`,
          ]
        : []),
      ...(cfg?.Env ? [`Environment:\t${cfg.Env.join('\n\t\t')}`] : []),
    );
  } else if (o && !o.ok) {
    lines.push(`Image metadata:\tnot available: ${'failure' in o ? o.failure.message : o.deferred.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Image metadata for one history item: from the metadata cache when it holds it, else one fetch by digest. */
async function imageMetadata(flags: DescribeFlags, io: CliIo, item: TagEvent, insecure: boolean): Promise<Observation | undefined> {
  if (flags.offline || item.image === '') return undefined;
  const config = await loadConfig(flags, io.env, io.cwd);
  const registry = await createRegistryImporter(config.registry);
  try {
    const [observation] = await registry.importer.importImages([
      { from: item.dockerImageReference, importMode: defaultImportMode, insecure },
    ]);
    return observation;
  } finally {
    await registry.close();
  }
}

/** `describe is/NAME` (or `is NAME`, or `is` for every stream), `describe istag/NAME:TAG`, `describe isimage/NAME@ID`. */
export async function describeCommand(args: readonly string[], flags: DescribeFlags, io: CliIo): Promise<ExitCodeValue> {
  const parsed = parseImageObjectTarget(args, [kinds.imageStream, kinds.imageStreamTag, kinds.imageStreamImage], 'describe');
  if (!parsed.ok) throw new UsageError(parsed.error);
  const t = parsed.target;
  const ws = await openWorkspace(flags, io);
  const nowMs = nowOf(flags);
  const namespace = t.namespace ?? ws.defaultNamespace;
  if (t.kind === kinds.imageStream && t.name === undefined) {
    const all = ws.repo.objects.filter((o) => o.kind === kinds.imageStream && !o.template && ws.namespaceOf(o) === namespace);
    io.stdout(all.map((o) => describeStream(ws.valueOf(o), namespace, nowMs)).join('\n\n'));
    return ExitCode.ok;
  }
  if (t.name === undefined)
    throw new UsageError(`describe ${args[0]} needs a name: ${t.kind === kinds.imageStreamTag ? 'NAME:TAG' : 'NAME@ID'}`);
  const streamName = typeof t.name === 'string' ? t.name : t.name.stream;
  const stream = ws.one(kinds.imageStream, namespace, streamName);
  if (!stream) throw new UsageError(notFoundMessage(kinds.imageStream, streamName), 'not-found');
  const value = ws.valueOf(stream);
  if (typeof t.name === 'string') {
    io.stdout(
      flags.output === 'json'
        ? `${JSON.stringify(value, null, 2)}\n`
        : flags.output === 'yaml'
          ? stringify(value)
          : describeStream(value, namespace, nowMs),
    );
    return ExitCode.ok;
  }
  let label: string;
  let item: TagEvent;
  let insecure: boolean;
  if ('tag' in t.name) {
    const { tag } = t.name;
    const found = findStatusTag(statusTagsOf(value), tag)?.items?.[0];
    label = `${streamName}:${tag}`;
    if (!found) throw new UsageError(notFoundMessage(kinds.imageStreamTag, label), 'not-found');
    item = found;
    insecure = findSpecTag(specTagsOf(value), tag)?.importPolicy?.insecure === true;
  } else {
    label = `${streamName}@${t.name.id}`;
    const resolved = resolveImageID(statusTagsOf(value), t.name.id);
    if (!resolved.ok)
      throw new UsageError(
        resolved.kind === 'not-found'
          ? notFoundMessage(kinds.imageStreamImage, label)
          : `Error from server (Conflict): ${resolved.message}`,
        'not-found',
      );
    const image = resolved.event.image;
    item = statusTagsOf(value)
      .flatMap((st) => st.items ?? [])
      .find((i) => i.image === image) as TagEvent;
    insecure = false;
  }
  const observation = await imageMetadata(flags, io, item, insecure);
  if (flags.output === 'json' || flags.output === 'yaml') {
    const head = 'tag' in t.name ? { tag: { name: t.name.tag, ...item } } : { imageStreamImage: { name: label, ...item } };
    const out = { ...head, image: observation?.ok ? observation.image : undefined };
    io.stdout(flags.output === 'json' ? `${JSON.stringify(out, null, 2)}\n` : stringify(out));
  } else {
    io.stdout(describeTag(label, item, observation, nowMs));
  }
  return ExitCode.ok;
}
