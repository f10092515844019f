/**
 * `imagestreams hold STREAM:TAG` and `unhold STREAM:TAG` (docs/policies.md#holds): write or remove the hold on a
 * spec tag. A held tag is not imported, its policy does not move it, and with `--image` its consumers get that image.
 */
import { withHold, withoutHold } from '../../reconcile/holds.js';
import type { Hold } from '../../reconcile/holds.js';
import { findStatusTag, specTagsOf, statusTagsOf } from '../../reconcile/accessors.js';
import { kinds } from '../../reconcile/model.js';
import { notFoundMessage } from '../../reconcile/oc-objects.js';
import { policyChoiceAnnotation, policyRepository } from '../../reconcile/policy.js';
import { resolveImageID } from '../../reconcile/status.js';
import { parseDuration, parseNow } from '../clock.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { AuthoringFlags } from './tag-command.js';
import { openWorkspace } from './tag-command.js';
import { splitNamespaced } from './workspace.js';

export interface HoldFlags extends AuthoringFlags {
  /** An RFC 3339 time, or a duration from now (`72h`). */
  readonly until?: string;
  readonly reason?: string;
  /** A digest (or unique prefix) from the tag's history: what consumers get while held. */
  readonly image?: string;
  readonly now?: string;
}

function target(text: string, defaultNamespace: string): { namespace: string; name: string; tag: string } {
  const m = /^(?:(?:istag|imagestreamtag)\/)?([^:@]+):([^:@/]+)$/i.exec(text);
  if (!m) throw new UsageError(`"${text}" is not STREAM:TAG (or NAMESPACE/STREAM:TAG)`);
  return { ...splitNamespaced(m[1] as string, defaultNamespace), tag: m[2] as string };
}

export async function holdCommand(text: string, flags: HoldFlags, io: CliIo): Promise<ExitCodeValue> {
  const ws = await openWorkspace(flags, io);
  const t = target(text, ws.defaultNamespace);
  const stream = ws.one(kinds.imageStream, t.namespace, t.name);
  if (!stream) throw new UsageError(notFoundMessage(kinds.imageStream, t.name), 'not-found');
  const now = parseNow(flags.now);
  const hold: { -readonly [K in keyof Hold]: Hold[K] } = { since: now };
  if (flags.reason) hold.reason = flags.reason;
  if (flags.until !== undefined) {
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(flags.until) ? Date.parse(flags.until) : Date.parse(now) + parseDuration(flags.until, '--until');
    if (Number.isNaN(ms)) throw new UsageError(`--until: "${flags.until}" is neither an RFC 3339 time nor a duration such as 72h`);
    hold.until = new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
  }
  const value = ws.valueOf(stream);
  if (flags.image !== undefined) {
    const history = findStatusTag(statusTagsOf(value), t.tag)?.items ?? [];
    const found = resolveImageID([{ tag: t.tag, items: history }], flags.image);
    if (!found.ok) throw new UsageError(`${t.name}:${t.tag}: ${found.message}`);
    hold.image = found.event.dockerImageReference;
  }
  const held = withHold(value, t.tag, hold);
  if ('error' in held) throw new UsageError(`${t.namespace}/${t.name}: ${held.error}`, 'not-found');
  ws.update(stream, held.value);
  const n = await ws.commit(io, flags.dryRun ?? false);
  const what = `${t.namespace}/${t.name}:${t.tag}${hold.image ? ` at ${hold.image}` : ''}${hold.until ? ` until ${hold.until}` : ''}`;
  io.stdout(n === 0 ? `${what}: already held so\n` : `${flags.dryRun ? 'would hold' : 'held'} ${what}\n`);
  return ExitCode.ok;
}

export async function unholdCommand(text: string, flags: AuthoringFlags, io: CliIo): Promise<ExitCodeValue> {
  const ws = await openWorkspace(flags, io);
  const t = target(text, ws.defaultNamespace);
  const stream = ws.one(kinds.imageStream, t.namespace, t.name);
  if (!stream) throw new UsageError(notFoundMessage(kinds.imageStream, t.name), 'not-found');
  const value = ws.valueOf(stream);
  const spec = specTagsOf(value).find((x) => x.name === t.tag);
  const repo = spec ? policyRepository(spec) : undefined;
  const released = withoutHold(value, t.tag, policyChoiceAnnotation, repo && !('error' in repo) ? repo.current : undefined);
  if ('error' in released) throw new UsageError(`${t.namespace}/${t.name}: ${released.error}`, 'not-found');
  if (!released.held) {
    io.stdout(`${t.namespace}/${t.name}:${t.tag} is not held\n`);
    return ExitCode.ok;
  }
  ws.update(stream, released.value);
  await ws.commit(io, flags.dryRun ?? false);
  io.stdout(`${flags.dryRun ? 'would release' : 'released'} ${t.namespace}/${t.name}:${t.tag}\n`);
  return ExitCode.ok;
}
