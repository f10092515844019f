/** `imagestreams set triggers KIND/NAME --from-image=stream:tag -c container [--remove] [--manual]`, as `oc set triggers`. */
import { formatFieldPath, podSpecSegments } from '../../reconcile/fieldpath.js';
import { annotations as known } from '../../reconcile/model.js';
import { isRecord } from '../../reconcile/objects.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { AuthoringFlags } from './tag-command.js';
import { openWorkspace, workloadKind } from './tag-command.js';

export interface TriggerFlags extends AuthoringFlags {
  readonly fromImage?: string;
  readonly containers?: string[];
  readonly remove?: boolean;
  readonly removeAll?: boolean;
  readonly manual?: boolean;
  readonly auto?: boolean;
}

type Trigger = { from: { kind: string; name: string; namespace?: string }; fieldPath: string; paused?: boolean | string };

export async function setTriggersCommand(target: string, flags: TriggerFlags, io: CliIo): Promise<ExitCodeValue> {
  const slash = target.indexOf('/');
  const kind = slash > 0 ? workloadKind(target.slice(0, slash)) : undefined;
  if (!kind) throw new UsageError(`set triggers takes KIND/NAME (deploy/NAME, sts/NAME, dc/NAME, ...), not "${target}"`);
  const ws = await openWorkspace(flags, io);
  const name = target.slice(slash + 1);
  const object = ws.one(kind, ws.defaultNamespace, name);
  if (!object) throw new UsageError(`${kind} "${ws.defaultNamespace}/${name}" not found in the repository`);
  if (!flags.removeAll && !flags.fromImage) throw new UsageError('--from-image=<stream>:<tag> is required (or --remove-all)');
  if (flags.fromImage && !/^[^:@/]+(\/[^:@/]+)?:[^:@/]+$/.test(flags.fromImage)) throw new UsageError(`--from-image: "${flags.fromImage}" is not of the form <stream>:<tag>`);
  const value = ws.valueOf(object);
  const segments = podSpecSegments(kind) ?? [];
  const spec = segments.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), value);
  const listOf = (c: string): 'containers' | 'initContainers' | undefined =>
    (['containers', 'initContainers'] as const).find((l) => isRecord(spec) && Array.isArray(spec[l]) && (spec[l] as unknown[]).some((x) => isRecord(x) && x.name === c));
  const allContainers = ['containers', 'initContainers'].flatMap((l) => (isRecord(spec) && Array.isArray(spec[l]) ? (spec[l] as unknown[]).filter(isRecord).map((x) => String(x.name)) : []));
  const containers = flags.containers?.length ? flags.containers : flags.removeAll ? [] : allContainers.slice(0, 1);
  for (const c of containers) if (!listOf(c)) throw new UsageError(`container "${c}" not found in ${kind.toLowerCase()}/${name} (has: ${allContainers.join(', ') || 'none'})`);
  const [streamPart, tagPart] = (flags.fromImage ?? '').split(':') as [string, string];
  const streamNs = streamPart.includes('/') ? streamPart.slice(0, streamPart.indexOf('/')) : undefined;
  const streamTag = `${streamNs ? streamPart.slice(streamNs.length + 1) : streamPart}:${tagPart}`;

  if (kind === 'DeploymentConfig') {
    const dcSpec = isRecord(value.spec) ? value.spec : (value.spec = {});
    let triggers = Array.isArray(dcSpec.triggers) ? (dcSpec.triggers as Array<Record<string, unknown>>) : [];
    const matches = (t: Record<string, unknown>): boolean => t.type === 'ImageChange' && isRecord(t.imageChangeParams) && isRecord(t.imageChangeParams.from) && (flags.removeAll || t.imageChangeParams.from.name === streamTag);
    if (flags.remove || flags.removeAll) triggers = triggers.filter((t) => !matches(t));
    else {
      const entry = { type: 'ImageChange', imageChangeParams: { automatic: !flags.manual, containerNames: containers, from: { kind: 'ImageStreamTag', name: streamTag, ...(streamNs ? { namespace: streamNs } : {}) } } };
      const i = triggers.findIndex(matches);
      if (i === -1) triggers = [...triggers, entry];
      else triggers = triggers.map((t, j) => (j === i ? { ...t, imageChangeParams: { ...(t.imageChangeParams as Record<string, unknown>), automatic: !flags.manual, containerNames: containers } } : t));
    }
    dcSpec.triggers = triggers;
  } else {
    const metadata = isRecord(value.metadata) ? value.metadata : (value.metadata = {});
    const notes = isRecord(metadata.annotations) ? metadata.annotations : {};
    let triggers: Trigger[] = [];
    if (typeof notes[known.triggers] === 'string') {
      try {
        triggers = JSON.parse(notes[known.triggers] as string) as Trigger[];
      } catch {
        throw new UsageError(`${kind.toLowerCase()}/${name}: the ${known.triggers} annotation is not valid JSON; fix it first`);
      }
    }
    const paths = new Set(containers.map((c) => formatFieldPath(kind, c, listOf(c))));
    if (flags.removeAll) triggers = [];
    else if (flags.remove) triggers = triggers.filter((t) => !(t.from?.name === streamTag && (flags.containers?.length ? paths.has(t.fieldPath) : true)));
    else {
      for (const c of containers) {
        const fieldPath = formatFieldPath(kind, c, listOf(c)) as string;
        const entry: Trigger = { from: { kind: 'ImageStreamTag', name: streamTag, ...(streamNs ? { namespace: streamNs } : {}) }, fieldPath, ...(flags.manual ? { paused: true } : {}) };
        const i = triggers.findIndex((t) => t.fieldPath === fieldPath);
        if (i === -1) triggers.push(entry);
        else triggers[i] = entry;
      }
    }
    if (triggers.length === 0) delete notes[known.triggers];
    else notes[known.triggers] = JSON.stringify(triggers);
    if (Object.keys(notes).length > 0) metadata.annotations = notes;
    else delete metadata.annotations;
  }
  ws.update(object, value);
  await ws.commit(io, flags.dryRun ?? false);
  io.stdout(`${kind.toLowerCase()}/${name} triggers updated\n`);
  return ExitCode.ok;
}
