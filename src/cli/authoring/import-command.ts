/** `imagestreams import-image NAME[:TAG] --from REF [--all] [--confirm]`, as `oc import-image` does it, in the repository. */
import type { ImportMode } from '../../reconcile/model.js';
import { createRegistryImporter } from '../../import/index.js';
import type { Observation } from '../../import/index.js';
import { newStream, withSpecTag } from '../../reconcile/authoring.js';
import { specOf, specTagsOf } from '../../reconcile/accessors.js';
import { defaultImageTag, defaultImportMode, kinds, referencePolicyFor } from '../../reconcile/model.js';
import type { ImportOutcome } from '../../reconcile/plan.js';
import { planStreams } from '../../reconcile/plan.js';
import type { TagReference } from '../../reconcile/model.js';
import { loadConfig } from '../config.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseNow } from '../clock.js';
import type { AuthoringFlags } from './tag-command.js';
import { newStreamFile, openWorkspace } from './tag-command.js';
import { splitNamespaced } from './workspace.js';

export interface ImportImageFlags extends AuthoringFlags {
  readonly from?: string;
  readonly all?: boolean;
  readonly confirm?: boolean;
  readonly scheduled?: boolean;
  readonly insecure?: boolean;
  readonly referencePolicy?: string;
  readonly importMode?: ImportMode;
  readonly file?: string;
  readonly now?: string;
}

export async function importImageCommand(target: string, flags: ImportImageFlags, io: CliIo): Promise<ExitCodeValue> {
  const ws = await openWorkspace(flags, io);
  const colon = target.indexOf(':');
  const { namespace, name } = splitNamespaced(colon === -1 ? target : target.slice(0, colon), ws.defaultNamespace);
  const tag = colon === -1 ? defaultImageTag : target.slice(colon + 1);
  if (flags.all && colon !== -1) throw new UsageError('--all imports every tag of the repository: give NAME without :TAG');
  const policy = flags.referencePolicy === undefined ? undefined : referencePolicyFor(flags.referencePolicy);
  if (flags.referencePolicy !== undefined && policy === undefined)
    throw new UsageError(`--reference-policy must be local or source, not "${flags.referencePolicy}"`);
  const existing = ws.one(kinds.imageStream, namespace, name);
  if (!existing && !flags.confirm) throw new UsageError(`no image stream named "${name}" exists, pass --confirm to create and import`);
  let value = existing ? ws.valueOf(existing) : newStream(namespace, name);
  const repository = specOf(value).dockerImageRepository;
  const from =
    flags.from ??
    (flags.all
      ? typeof repository === 'string'
        ? repository
        : undefined
      : specTagsOf(value).find((t) => t.name === tag && t.from?.kind === kinds.dockerImage)?.from?.name);
  if (!from) throw new UsageError(`--from is required: ${name}${flags.all ? '' : `:${tag}`} has no source to import from`);
  const config = await loadConfig(flags, io.env, io.cwd);
  const registry = flags.dryRun ? undefined : await createRegistryImporter(config.registry);
  const tagFor = (t: string, ref: string): TagReference => ({
    name: t,
    from: { kind: kinds.dockerImage, name: ref },
    ...(flags.scheduled || flags.insecure || flags.importMode
      ? {
          importPolicy: {
            ...(flags.insecure ? { insecure: true } : {}),
            ...(flags.scheduled ? { scheduled: true } : {}),
            ...(flags.importMode ? { importMode: flags.importMode } : {}),
          },
        }
      : {}),
    ...(policy ? { referencePolicy: { type: policy } } : {}),
  });
  try {
    let tags: Array<{ tag: string; ref: string }>;
    if (flags.all) {
      if (!registry) throw new UsageError('--all needs the registry to list tags; it cannot be combined with --dry-run');
      const listed = await registry.importer.repositoryTags(from, flags.insecure ?? false, config.settings.repositoryTagCap);
      if (!listed.ok)
        throw new UsageError(`cannot list the tags of ${from}: ${'failure' in listed ? listed.failure.message : listed.deferred.message}`);
      tags = listed.tags.map((t) => ({ tag: t, ref: `${from}:${t}` }));
      if (listed.additionalTags.length > 0)
        io.stdout(`Only the first ${tags.length} tags were imported; not imported: ${listed.additionalTags.join(', ')}\n`);
    } else {
      tags = [{ tag, ref: from }];
    }
    for (const t of tags) value = withSpecTag(value, tagFor(t.tag, t.ref));
    if (registry) {
      const observations = await registry.importer.importImages(
        tags.map((t) => ({ from: t.ref, importMode: flags.importMode ?? defaultImportMode, insecure: flags.insecure ?? false })),
      );
      const results = new Map<string, ImportOutcome>(tags.map((t, i) => [t.tag, observations[i] as Observation]));
      const now = parseNow(flags.now);
      const planned = planStreams({
        streams: [{ key: 'import', namespace, name, value }],
        tagResults: new Map([['import', results]]),
        repositoryResults: new Map(),
        now,
        policy: { localRegistry: config.settings.localRegistry },
      });
      value = (planned.streams[0]?.value ?? value) as Record<string, unknown>;
      const failed = observations.filter((o) => !o.ok);
      io.stdout(
        failed.length === 0
          ? 'The import completed successfully.\n\n'
          : `The import failed for ${failed.length} of ${observations.length} tags.\n\n`,
      );
      io.stdout(
        `${[
          'Tag\tSpec\tPullSpec\tImage',
          ...tags.map((t, i) => {
            const o = observations[i] as Observation;
            return o.ok
              ? `${t.tag}\t${t.ref}\t${o.image.dockerImageReference}\t${o.image.digest}`
              : `${t.tag}\t${t.ref}\t! ${'failure' in o ? o.failure.message : o.deferred.message}\t`;
          }),
        ].join('\n')}\n`,
      );
      if (existing) ws.update(existing, value);
      else ws.create(newStreamFile(flags, namespace, name), value);
      await ws.commit(io, false);
      return failed.length === 0 ? ExitCode.ok : failed.length === observations.length ? ExitCode.findings : ExitCode.partial;
    }
    if (existing) ws.update(existing, value);
    else ws.create(newStreamFile(flags, namespace, name), value);
    await ws.commit(io, true);
    return ExitCode.ok;
  } finally {
    await registry?.close();
  }
}
