/** `imagestreams import-image NAME[:TAG] [--from REF] [--all] [--confirm]`, as `oc import-image` does it, in the repository. */
import { createRegistryImporter } from '../../import/index.js';
import type { Observation } from '../../import/index.js';
import { specTagsOf } from '../../reconcile/accessors.js';
import { AuthoringError, newStream, withSpecTag } from '../../reconcile/authoring.js';
import type { TagImport } from '../../reconcile/import-request.js';
import {
  effectiveImportMode,
  importedSpecTag,
  InvalidImportError,
  planImageImport,
  validateImageStreamImport,
} from '../../reconcile/import-request.js';
import { kinds, referencePolicyFor } from '../../reconcile/model.js';
import type { ImportOutcome } from '../../reconcile/plan.js';
import { planStreams } from '../../reconcile/plan.js';
import { parseNow } from '../clock.js';
import { loadConfig } from '../config.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
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
  readonly importMode?: string;
  readonly file?: string;
  readonly now?: string;
}

const messageOf = (o: Observation): string => ('failure' in o ? o.failure.message : 'deferred' in o ? o.deferred.message : '');

export async function importImageCommand(target: string, flags: ImportImageFlags, io: CliIo): Promise<ExitCodeValue> {
  // oc's own checks of the argument come first (parseImageReference).
  if (target.includes('@')) throw new AuthoringError("to import images by ID, use the 'tag' command");
  const ws = await openWorkspace(flags, io);
  const colon = target.indexOf(':');
  const { namespace, name } = splitNamespaced(colon === -1 ? target : target.slice(0, colon), ws.defaultNamespace);
  const tag = colon === -1 ? undefined : target.slice(colon + 1);
  if (flags.all && tag !== undefined) throw new AuthoringError(`cannot specify a tag "${target}" as well as --all`);
  const policy = flags.referencePolicy === undefined ? undefined : referencePolicyFor(flags.referencePolicy);
  if (flags.referencePolicy !== undefined && policy === undefined)
    throw new UsageError(`--reference-policy must be local or source, not "${flags.referencePolicy}"`);
  const existing = ws.one(kinds.imageStream, namespace, name);
  let value = existing ? ws.valueOf(existing) : newStream(namespace, name);
  const plan = planImageImport(existing ? value : undefined, {
    namespace,
    name,
    tag,
    from: flags.from,
    all: flags.all ?? false,
    confirm: flags.confirm ?? false,
    scheduled: flags.scheduled ?? false,
    insecure: flags.insecure,
    importMode: flags.importMode,
    referencePolicy: policy,
  });
  // The server's checks of the request: an invalid one imports nothing and writes nothing.
  const invalid = validateImageStreamImport(plan.request);
  if (invalid.length > 0) throw new InvalidImportError(name, invalid);
  const withTags = (images: readonly TagImport[]): void => {
    for (const i of images)
      value = withSpecTag(
        value,
        importedSpecTag(
          specTagsOf(value).find((t) => t.name === i.tag),
          i,
          policy,
        ),
      );
  };
  const write = async (dryRun: boolean): Promise<void> => {
    if (existing) ws.update(existing, value);
    else ws.create(newStreamFile(flags, namespace, name), value);
    await ws.commit(io, dryRun);
  };
  if (flags.dryRun) {
    if (plan.repository) throw new UsageError('--all needs the registry to list tags; it cannot be combined with --dry-run');
    withTags(plan.images);
    await write(true);
    for (const i of plan.images) io.stdout(`Would import ${name}:${i.tag} from ${i.from}.\n`);
    return ExitCode.ok;
  }
  const config = await loadConfig(flags, io.env, io.cwd);
  const registry = await createRegistryImporter(config.registry);
  try {
    let images = plan.images;
    if (plan.repository) {
      const { from, policy: repositoryPolicy } = plan.repository;
      const listed = await registry.importer.repositoryTags(from, repositoryPolicy.insecure, config.settings.repositoryTagCap);
      if (!listed.ok) {
        io.stderr(`error: repository ${from} failed: ${'failure' in listed ? listed.failure.message : listed.deferred.message}\n`);
        io.stdout(`The import of ${from} failed; nothing was written.\n`);
        return ExitCode.partial;
      }
      images = listed.tags.map((t) => ({ tag: t, from: `${from}:${t}`, policy: repositoryPolicy }));
      if (listed.additionalTags.length > 0)
        io.stdout(`Only the first ${images.length} tags were imported; not imported: ${listed.additionalTags.join(', ')}\n`);
    }
    withTags(images);
    const observations = await registry.importer.importImages(
      images.map((i) => ({
        from: i.from,
        importMode: effectiveImportMode(
          i.policy,
          specTagsOf(value).find((t) => t.name === i.tag),
        ),
        insecure: i.policy.insecure,
      })),
    );
    const results = new Map<string, ImportOutcome>(images.map((t, i) => [t.tag, observations[i] as Observation]));
    const planned = planStreams({
      streams: [{ key: 'import', namespace, name, value }],
      tagResults: new Map([['import', results]]),
      repositoryResults: new Map(),
      now: parseNow(flags.now),
      policy: { localRegistry: config.settings.localRegistry },
    });
    value = (planned.streams[0]?.value ?? value) as Record<string, unknown>;
    const failed = observations.filter((o) => !o.ok);
    for (const [i, o] of observations.entries()) if (!o.ok) io.stderr(`error: tag ${images[i]?.tag ?? ''} failed: ${messageOf(o)}\n`);
    io.stdout(
      failed.length === 0
        ? 'The import completed successfully.\n\n'
        : `The import failed for ${failed.length} of ${observations.length} tags.\n\n`,
    );
    io.stdout(
      `${[
        'Tag\tSpec\tPullSpec\tImage',
        ...images.map((t, i) => {
          const o = observations[i] as Observation;
          return o.ok
            ? `${t.tag}\t${t.from}\t${o.image.dockerImageReference}\t${o.image.digest}`
            : `${t.tag}\t${t.from}\t! ${messageOf(o)}\t`;
        }),
      ].join('\n')}\n`,
    );
    // A stream this command would create is not left behind when nothing was imported into it.
    if (!existing && failed.length === observations.length) {
      io.stdout(`The image stream ${namespace}/${name} was not created.\n`);
      return ExitCode.partial;
    }
    await write(false);
    return failed.length === 0 ? ExitCode.ok : ExitCode.partial;
  } finally {
    await registry.close();
  }
}
