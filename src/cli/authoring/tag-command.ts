/** `imagestreams tag` and `imagestreams set image-lookup`: edit stream definitions as `oc tag` / `oc set` would. */
import type { ImportMode } from '../../reconcile/model.js';
import path from 'node:path';
import type { SourceKind, TagOptions } from '../../reconcile/authoring.js';
import {
  AuthoringError,
  newStream,
  parseDestination,
  parseSource,
  specTagFor,
  lookupEnabled,
  withLookup,
  withoutTag,
  withSpecTag,
} from '../../reconcile/authoring.js';
import { podSpecSegments } from '../../reconcile/fieldpath.js';
import {
  annotations as known,
  imageStreamResource,
  kinds,
  referencePolicyFor,
  streamKindForAlias,
  workloadKindForAlias,
} from '../../reconcile/model.js';
import { isRecord } from '../../reconcile/objects.js';
import { notFoundMessage } from '../../reconcile/oc-objects.js';
import { metadataOf, statusTagsOf } from '../../reconcile/accessors.js';
import type { StreamInput } from '../../reconcile/due.js';
import { planStreams } from '../../reconcile/plan.js';
import { parseNow } from '../clock.js';
import { loadConfig } from '../config.js';
import type { ConfigFlags } from '../config.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { splitNamespaced, Workspace } from './workspace.js';

export interface AuthoringFlags extends ConfigFlags {
  readonly repo?: string;
  readonly dryRun?: boolean;
}

export interface TagFlags extends AuthoringFlags {
  readonly alias?: boolean;
  readonly scheduled?: boolean;
  readonly reference?: boolean;
  readonly referencePolicy?: string;
  readonly insecure?: boolean;
  readonly importMode?: ImportMode;
  readonly delete?: boolean;
  readonly source?: SourceKind;
  readonly file?: string;
  readonly now?: string;
}

export async function openWorkspace(flags: AuthoringFlags, io: CliIo): Promise<Workspace> {
  const config = await loadConfig(flags, io.env, io.cwd);
  const ws = await Workspace.open(path.resolve(io.cwd, flags.repo ?? '.'), config, io.cwd);
  const broken = ws.repo.diagnostics.filter((d) => d.severity === 'error');
  for (const d of broken) io.stderr(`warning: ${d.file}:${d.line}:${d.col}: ${d.message} (file not read)\n`);
  return ws;
}

/** A verb's past participle, or "would be …" under --dry-run: every dry-run message says what would happen. */
export function said(flags: { dryRun?: boolean | undefined }, done: string): string {
  return flags.dryRun ? `would be ${done}` : done;
}

/** Where a new stream's file goes: --file, else `imagestreams/<namespace>/<name>.yaml` in the repository. */
export function newStreamFile(flags: { file?: string | undefined }, namespace: string, name: string): string {
  return flags.file ?? path.join('imagestreams', namespace, `${name}.yaml`);
}

export async function tagCommand(args: readonly string[], flags: TagFlags, io: CliIo): Promise<ExitCodeValue> {
  const ws = await openWorkspace(flags, io);
  const namespace = ws.defaultNamespace;
  const would = flags.dryRun ?? false;
  const streams = new StreamEdits(ws, flags);
  // An AuthoringError thrown below (a malformed source or destination) is exit 2, by failures.ts.
  if (flags.delete) {
    if (args.length === 0) throw new UsageError('tag -d needs at least one <stream>:<tag>');
    for (const a of args) {
      const dest = parseDestination(a, namespace);
      const current = streams.value(dest.namespace, dest.stream);
      if (!current) throw new UsageError(notFoundMessage(kinds.imageStream, dest.stream), 'not-found');
      const { value, found } = withoutTag(current, dest.tag);
      if (!found) throw new AuthoringError(`${dest.stream}:${dest.tag} does not exist`);
      streams.set(dest.namespace, dest.stream, value);
      io.stdout(`${would ? 'Would delete' : 'Deleted'} tag ${dest.namespace}/${dest.stream}:${dest.tag}.\n`);
    }
  } else {
    if (args.length < 2) throw new UsageError('tag needs a SOURCE and at least one DEST');
    const policy = flags.referencePolicy === undefined ? undefined : referencePolicyFor(flags.referencePolicy);
    if (flags.referencePolicy !== undefined && policy === undefined)
      throw new UsageError(`--reference-policy must be local or source, not "${flags.referencePolicy}"`);
    const options: TagOptions = {
      alias: flags.alias,
      scheduled: flags.scheduled,
      reference: flags.reference,
      insecure: flags.insecure,
      ...(policy ? { referencePolicy: policy } : {}),
      ...(flags.importMode ? { importMode: flags.importMode } : {}),
    } as TagOptions;
    const [sourceText, ...dests] = args as [string, ...string[]];
    const source = parseSource(sourceText, namespace, flags.source);
    for (const d of dests) {
      const dest = parseDestination(d, namespace);
      const spec = specTagFor(source, dest, options, (ns, name) => {
        const s = streams.value(ns, name);
        return s ? statusTagsOf(s) : undefined;
      });
      streams.set(
        dest.namespace,
        dest.stream,
        withSpecTag(streams.value(dest.namespace, dest.stream) ?? newStream(dest.namespace, dest.stream), spec),
      );
      const what = spec.from?.kind === kinds.imageStreamTag ? `set up to track ${spec.from.name}` : `set to ${spec.from?.name ?? ''}`;
      io.stdout(`Tag ${dest.stream}:${dest.tag} ${would ? 'would be ' : ''}${what}${options.scheduled ? ' (scheduled)' : ''}.\n`);
    }
  }
  // The status the pass would derive follows at once (pinned, tracking and reference tags need no registry), so
  // an offline check finds nothing left to do for these streams.
  const config = await loadConfig(flags, io.env, io.cwd);
  streams.deriveStatus(parseNow(flags.now), config.settings.localRegistry);
  await ws.commit(io, would);
  return ExitCode.ok;
}

/**
 * The streams a verb changes, existing or new, by namespace and name: each new stream is created once however
 * many of its tags are set, and the status of every changed stream is derived over the whole repository.
 */
class StreamEdits {
  private readonly changed = new Map<string, { namespace: string; name: string; value: Record<string, unknown> }>();

  constructor(
    private readonly ws: Workspace,
    private readonly flags: { file?: string | undefined },
  ) {}

  value(namespace: string, name: string): Record<string, unknown> | undefined {
    const pending = this.changed.get(`${namespace}/${name}`);
    if (pending) return pending.value;
    const o = this.ws.one(kinds.imageStream, namespace, name);
    return o ? this.ws.valueOf(o) : undefined;
  }

  set(namespace: string, name: string, value: Record<string, unknown>): void {
    this.changed.set(`${namespace}/${name}`, { namespace, name, value });
  }

  deriveStatus(now: string, localRegistry: string | undefined): void {
    const inputs: StreamInput[] = [];
    for (const o of this.ws.repo.objects) {
      if (o.kind !== kinds.imageStream || o.template) continue;
      const namespace = this.ws.namespaceOf(o);
      const name = String(metadataOf(o.value).name ?? '');
      if (!this.changed.has(`${namespace}/${name}`))
        inputs.push({ key: `${namespace}/${name}`, namespace, name, value: this.ws.valueOf(o) });
    }
    for (const [key, c] of this.changed) inputs.push({ key, namespace: c.namespace, name: c.name, value: c.value });
    const planned = planStreams({ streams: inputs, tagResults: new Map(), repositoryResults: new Map(), now, policy: { localRegistry } });
    for (const p of planned.streams) {
      const c = this.changed.get(p.stream);
      if (!c) continue;
      const value = p.value as Record<string, unknown>;
      const o = this.ws.one(kinds.imageStream, c.namespace, c.name);
      if (o) this.ws.update(o, value);
      else this.ws.create(newStreamFile(this.flags, c.namespace, c.name), value);
    }
  }
}

export interface LookupFlags extends AuthoringFlags {
  readonly enabled: boolean;
}

/** `set image-lookup NAME` (a stream's lookupPolicy.local) or `set image-lookup KIND/NAME` (resolve-names on a pod template). */
export async function imageLookupCommand(targets: readonly string[], flags: LookupFlags, io: CliIo): Promise<ExitCodeValue> {
  const ws = await openWorkspace(flags, io);
  if (targets.length === 0) {
    // `oc set image-lookup` alone lists the namespace's streams and whether lookup is on.
    const rows = [['NAME', 'LOCAL']];
    for (const o of ws.repo.objects)
      if (o.kind === kinds.imageStream && !o.template && ws.namespaceOf(o) === ws.defaultNamespace)
        rows.push([String(metadataOf(o.value).name ?? ''), String(lookupEnabled(o.value))]);
    const width = Math.max(...rows.map((r) => (r[0] ?? '').length)) + 3;
    io.stdout(`${rows.map(([name, local]) => `${(name ?? '').padEnd(width)}${local}`).join('\n')}\n`);
    return ExitCode.ok;
  }
  for (const target of targets) {
    const slash = target.indexOf('/');
    const kind = slash > 0 ? workloadKindForAlias(target.slice(0, slash)) : undefined;
    if (slash > 0 && !kind && streamKindForAlias(target.slice(0, slash)) !== kinds.imageStream)
      throw new UsageError(`unknown kind "${target.slice(0, slash)}"`);
    const name = slash > 0 ? target.slice(slash + 1) : target;
    if (!kind) {
      const { namespace, name: streamName } = splitNamespaced(name, ws.defaultNamespace);
      const stream = ws.one(kinds.imageStream, namespace, streamName);
      if (!stream) throw new UsageError(notFoundMessage(kinds.imageStream, streamName), 'not-found');
      ws.update(stream, withLookup(ws.valueOf(stream), flags.enabled));
      io.stdout(`${imageStreamResource}/${streamName} image lookup ${said(flags, flags.enabled ? 'updated' : 'disabled')}\n`);
      continue;
    }
    const object = ws.one(kind, ws.defaultNamespace, name);
    if (!object) throw new UsageError(notFoundMessage(kind, name), 'not-found');
    const value = ws.valueOf(object);
    // The pod template holds the pod spec: its metadata is where the annotation goes (a Pod's own metadata).
    const segments = (podSpecSegments(kind) ?? []).slice(0, -1);
    let holder: Record<string, unknown> = value;
    for (const s of segments) holder = isRecord(holder[s]) ? (holder[s] as Record<string, unknown>) : (holder[s] = {});
    if (flags.enabled) {
      const metadata = isRecord(holder.metadata) ? holder.metadata : (holder.metadata = {});
      metadata.annotations = { ...(isRecord(metadata.annotations) ? metadata.annotations : {}), [known.resolveNames]: '*' };
    } else if (isRecord(holder.metadata) && isRecord(holder.metadata.annotations) && known.resolveNames in holder.metadata.annotations) {
      // Disabling takes the annotation out, and nothing else: no empty metadata or annotations is left behind.
      const { [known.resolveNames]: _removed, ...rest } = holder.metadata.annotations;
      if (Object.keys(rest).length > 0) holder.metadata.annotations = rest;
      else delete holder.metadata.annotations;
      if (Object.keys(holder.metadata).length === 0) delete holder.metadata;
    }
    ws.update(object, value);
    io.stdout(`${kind.toLowerCase()}/${name} image lookup ${said(flags, flags.enabled ? 'updated' : 'disabled')}\n`);
  }
  await ws.commit(io, flags.dryRun ?? false);
  return ExitCode.ok;
}
