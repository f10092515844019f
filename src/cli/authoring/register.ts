/**
 * The `oc`-style verbs (issue: the authoring CLI), registered on the program. As in main.ts, each action loads its
 * verb's module with `import()` when it runs; only types are imported statically.
 */
import type { Command } from 'commander';
import { Argument, Option } from 'commander';
import { importModes } from '../../reconcile/model.js';
import { markerParts } from '../../reconcile/markers.js';
import { completionScript } from '../completion.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { collect, withRegistryOptions, withRepoOptions } from '../options.js';
import type { DescribeFlags } from './describe-command.js';
import type { PruneFlags, RollbackFlags } from './history-command.js';
import type { ImportImageFlags } from './import-command.js';
import type { LookupFlags, TagFlags } from './tag-command.js';
import type { MarkerFlags } from './marker-command.js';
import type { HoldFlags } from './hold-command.js';
import type { AuthoringFlags } from './tag-command.js';
import type { TriggerFlags } from './triggers-command.js';

export function registerAuthoringCommands(program: Command, io: CliIo, setResult: (code: ExitCodeValue) => void): void {
  withRepoOptions(program.command('tag'), { dryRun: 'print the diff; write nothing' })
    .description(
      'Set or delete spec tags in the repository, as `oc tag` does: a stream tag source is pinned to its current image (an ImageStreamImage) unless --alias tracks it; a registry reference becomes a DockerImage tag. Creates the destination stream when it does not exist.',
    )
    .argument(
      '<source-or-dest>',
      'SOURCE (stream:tag, stream@id, ns/stream:tag, or a registry reference), then DEST...; with -d, only DESTs',
    )
    .argument('[dest...]', 'one or more stream:tag (or ns/stream:tag) destinations')
    .option('--alias', 'track the source tag (same stream only)')
    .option('--scheduled', 'check the source for updates periodically (DockerImage sources)')
    .option('--reference', 'record the reference without importing it')
    .option('--reference-policy <policy>', 'local or source')
    .option('--insecure', 'allow insecure transport for the import')
    .addOption(new Option('--import-mode <mode>', 'Legacy or PreserveOriginal').choices(importModes))
    .addOption(
      new Option('--source <kind>', 'what SOURCE is, when it could be read either way').choices([
        'docker',
        'imagestreamtag',
        'imagestreamimage',
      ]),
    )
    .option('-d, --delete', 'delete the given tags (and their history)')
    .option('--file <path>', 'file for a stream that does not exist yet (default imagestreams/<namespace>/<name>.yaml)')
    .option('--now <time>', 'the clock for the status written at once (RFC 3339)')
    .addHelpText(
      'after',
      `
Examples (from the OpenShift documentation):
  imagestreams tag ruby:2.0 ruby:latest                    pin ruby:latest to ruby:2.0's current image
  imagestreams tag --alias ruby:2.0 ruby:latest            make ruby:latest track ruby:2.0
  imagestreams tag --scheduled docker.io/python:3.6.0 python:3.6
  imagestreams tag --reference-policy=local quay.io/org/app:1 app:1
  imagestreams tag -d ruby:latest`,
    )
    .action(async (first: string, rest: string[], opts: TagFlags) => {
      const { tagCommand } = await import('./tag-command.js');
      setResult(await tagCommand([first, ...rest], opts, io));
    });

  withRepoOptions(withRegistryOptions(program.command('import-image')), {
    dryRun: 'print the spec change as a diff; import nothing, write nothing',
  })
    .description(
      "Add or update a stream's tag from a registry and import it now, writing the status, as `oc import-image` does. Without --confirm it will not create a new stream.",
    )
    .argument('<name>', 'NAME[:TAG] (TAG defaults to latest; NAME may be ns/name)')
    .option('--from <reference>', 'the image (or, with --all, the repository) to import')
    .option('--all', "import the repository's tags (OpenShift's priority order, up to reconcile.repositoryTagCap)")
    .option('--confirm', 'create the stream if it does not exist')
    .option('--scheduled', 'check the source for updates periodically')
    .option('--insecure', "allow insecure transport (without the flag, the stream's insecure annotation decides)")
    .option('--no-insecure', "secure transport only, even where the stream's insecure annotation allows insecure (--insecure=false)")
    .option('--reference-policy <policy>', 'local or source')
    .option('--import-mode <mode>', 'Legacy or PreserveOriginal (checked as the server checks the request)')
    .option('--file <path>', 'file for a new stream (default imagestreams/<namespace>/<name>.yaml)')
    .option('--now <time>', 'the clock (RFC 3339)')
    .addHelpText(
      'after',
      '\nExamples (from the OpenShift documentation):\n  imagestreams import-image my-ruby --from=docker.io/openshift/ruby-20-centos7 --confirm\n  imagestreams import-image my-ruby --from=docker.io/openshift/ruby-20-centos7 --all --confirm',
    )
    .action(async (target: string, opts: ImportImageFlags) => {
      const { importImageCommand } = await import('./import-command.js');
      setResult(await importImageCommand(target, opts, io));
    });

  withRepoOptions(program.command('hold'), { dryRun: 'print the diff; write nothing' })
    .description(
      'Hold a stream tag where it is: it is not imported, its policy does not move it, and with --image every consumer (triggers, markers, kustomize images) gets that image from its history. See docs/policies.md#holds.',
    )
    .argument('<stream:tag>', 'the tag to hold: stream:tag or namespace/stream:tag')
    .option('--until <time>', 'when the hold ends: an RFC 3339 time, or a duration from now such as 72h')
    .option('--reason <text>', 'why, for the report and describe')
    .option('--image <id>', "an image of the tag's history (a digest or a unique prefix) consumers get while held")
    .option('--now <time>', 'the time the hold starts (default: now)')
    .addHelpText(
      'after',
      '\nExamples:\n  imagestreams hold web:prod --reason "launch freeze" --until 72h\n  imagestreams hold web:prod --image sha256:1a2b3c\n  imagestreams unhold web:prod',
    )
    .action(async (target: string, opts: HoldFlags) => {
      const { holdCommand } = await import('./hold-command.js');
      setResult(await holdCommand(target, opts, io));
    });

  withRepoOptions(program.command('unhold'), { dryRun: 'print the diff; write nothing' })
    .description(
      "Release a hold: the tag is imported again, and a policy tag resumes from its current from.name (a person's rollback is accepted as the new starting point).",
    )
    .argument('<stream:tag>', 'the held tag: stream:tag or namespace/stream:tag')
    .action(async (target: string, opts: AuthoringFlags) => {
      const { unholdCommand } = await import('./hold-command.js');
      setResult(await unholdCommand(target, opts, io));
    });

  withRepoOptions(program.command('rollback'), { dryRun: 'print the diff; write nothing' })
    .description('Point a tag at an image from its own history, as a permanent ImageStreamImage tag: the GitOps way to roll a tag back.')
    .argument('<istag>', 'istag/NAME:TAG')
    .option('--to-revision <n>', 'how many images back from the current one (default 1: the one before it)')
    .option('--to-image <digest>', "a digest (or unique prefix) from the tag's history")
    .option('--now <time>', 'the clock (RFC 3339)')
    .addHelpText(
      'after',
      '\nExamples:\n  imagestreams rollback istag/ruby:latest\n  imagestreams rollback istag/ruby:latest --to-image sha256:49c18358',
    )
    .action(async (target: string, opts: RollbackFlags) => {
      const { rollbackCommand } = await import('./history-command.js');
      setResult(await rollbackCommand(target, opts, io));
    });

  withRepoOptions(program.command('prune'), { dryRun: 'with --confirm: print the diff instead of writing' })
    .description(
      'Trim status history in the repository. Never removes the current image of a tag, an image a workload references, or one a spec tag pins. Without --confirm it only lists what it would remove.',
    )
    .option('--keep-tag-revisions <n>', 'history items kept per tag, the current one included', '3')
    .option('--keep-younger-than <duration>', 'keep items created more recently than this (e.g. 60m, 24h)', '60m')
    .option('--confirm', 'remove them')
    .option('--now <time>', 'the clock (RFC 3339)')
    .addHelpText(
      'after',
      '\nExamples:\n  imagestreams prune --keep-tag-revisions 5\n  imagestreams prune --keep-tag-revisions 5 --keep-younger-than 24h --confirm',
    )
    .action(async (opts: PruneFlags) => {
      const { pruneCommand } = await import('./history-command.js');
      setResult(await pruneCommand(opts, io));
    });

  program
    .command('completion')
    .description('Print a shell completion script.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      '\nExamples:\n  source <(imagestreams completion bash)\n  imagestreams completion zsh > "${fpath[1]}/_imagestreams"',
    )
    .action((shell: 'bash' | 'zsh') => {
      io.stdout(completionScript(program, shell));
    });

  withRepoOptions(withRegistryOptions(program.command('describe')))
    .description(
      'Show a stream (is/NAME), a stream tag (istag/NAME:TAG) or a stream image (isimage/NAME@ID) as `oc describe` does: tags, history with relative times, and for a tag or image the image metadata (from the metadata cache, fetched when missing).',
    )
    .argument('<target>', 'is/NAME, istag/NAME:TAG or isimage/NAME@ID, or the kind alone (NAME may be ns/name)')
    .argument('[name]', 'the name, when the kind is written on its own: describe is NAME')
    .addOption(new Option('-o, --output <format>', 'text as oc prints it, or the object').choices(['text', 'json', 'yaml']).default('text'))
    .option('--offline', 'never contact a registry: show only what the repository holds')
    .option('--now <time>', 'the clock for relative times (RFC 3339)')
    .addHelpText(
      'after',
      '\nExamples (from the OpenShift documentation):\n  imagestreams describe is/python\n  imagestreams describe is python\n  imagestreams describe istag/python:latest\n  imagestreams describe isimage/python@sha256:49c18358',
    )
    .action(async (target: string, name: string | undefined, opts: DescribeFlags) => {
      const { describeCommand } = await import('./describe-command.js');
      setResult(await describeCommand(name === undefined ? [target] : [target, name], opts, io));
    });

  withRepoOptions(program.command('get'))
    .description(
      'List the image streams of a namespace as `oc get is` does (NAME, IMAGE REPOSITORY, TAGS, UPDATED), or their tags as `oc get istag` does (NAME, IMAGE REFERENCE, UPDATED).',
    )
    .argument('<kind>', 'is or istag (or is/NAME, istag/NAME:TAG)')
    .argument('[name]', 'one stream (NAME) or tag (NAME:TAG)')
    .addOption(new Option('-o, --output <format>', 'the table, or the objects').choices(['text', 'json', 'yaml']).default('text'))
    .option('--now <time>', 'the clock for relative times (RFC 3339)')
    .addHelpText('after', '\nExamples:\n  imagestreams get is -n openshift\n  imagestreams get is python\n  imagestreams get istag')
    .action(async (kind: string, name: string | undefined, opts: DescribeFlags) => {
      const { getCommand } = await import('./get-command.js');
      setResult(await getCommand(name === undefined ? [kind] : [kind, name], opts, io));
    });

  const set = program.command('set').description('Change settings on streams and workloads in the repository, as `oc set` does.');
  withRepoOptions(set.command('triggers'), { dryRun: 'print the diff; write nothing', longConfigOnly: true })
    .description(
      "Add, pause or remove the image triggers of a workload: the image.openshift.io/triggers annotation (written in the form the in-cluster controller accepts), or a DeploymentConfig's ImageChange triggers. A container has at most one trigger: the one already on it (in any fieldPath form) is replaced, not joined by a second.",
    )
    .argument('<workload>', 'KIND/NAME: deploy/NAME, sts/NAME, ds/NAME, cj/NAME, job/NAME, rs/NAME, rc/NAME, pod/NAME, dc/NAME')
    .option('--from-image <stream:tag>', 'the stream tag to follow')
    .option('-c, --containers <name>', 'container to update (repeatable; default: the first container)', collect)
    .option('--remove', 'remove the trigger for --from-image')
    .option('--remove-all', 'remove every image trigger')
    .option('--manual', 'set the trigger paused, the one already on the container included (DeploymentConfig: automatic: false)')
    .option('--auto', 'set the trigger active (the default)')
    .addHelpText(
      'after',
      '\nExamples (from the OpenShift documentation):\n  imagestreams set triggers deploy/example --from-image=example:latest -c web\n  imagestreams set triggers deploy/example --from-image=example:latest --remove',
    )
    .action(async (target: string, opts: TriggerFlags) => {
      const { setTriggersCommand } = await import('./triggers-command.js');
      setResult(await setTriggersCommand(target, opts, io));
    });

  withRepoOptions(set.command('marker'), { dryRun: 'print the diff; write nothing' })
    .description(
      'Write a setter marker on the value on a line of any YAML file (a Helm values file, a custom resource, a plain manifest), so that each pass sets it from a stream tag; the value is set at once when the tag has an image. See docs/write-back.md.',
    )
    .argument('<file:line>', 'the file and the line of the value to mark (from 1)')
    .option('--from-image <stream:tag>', 'the stream tag to follow: stream:tag or namespace/stream:tag')
    .addOption(
      new Option('--part <part>', 'what to write: the whole pull spec, or its name, registry, repository, tag or digest')
        .choices(markerParts)
        .default('image'),
    )
    .addHelpText(
      'after',
      `
Examples:
  imagestreams set marker chart/values.yaml:12 --from-image=web:prod --part tag
  imagestreams set marker chart/values.yaml:13 --from-image=web:prod --part digest
  imagestreams set marker deploy/rollout.yaml:20 --from-image=shop/web:prod`,
    )
    .action(async (target: string, opts: MarkerFlags) => {
      const { setMarkerCommand } = await import('./marker-command.js');
      setResult(await setMarkerCommand(target, opts, io));
    });

  withRepoOptions(set.command('image-lookup'), { dryRun: 'print the diff; write nothing' })
    .description(
      'Let workloads use a stream by its short name (spec.lookupPolicy.local), or (KIND/NAME) resolve every image of a workload through streams (the resolve-names annotation on its pod template).',
    )
    .argument(
      '[targets...]',
      'stream names (NAME or is/NAME), or workloads (deploy/NAME, sts/NAME, ...); none: list the streams and their lookup setting',
    )
    .addOption(new Option('--enabled <bool>', 'true to enable, false to disable').choices(['true', 'false']).default('true'))
    .addHelpText(
      'after',
      `
Examples (from the OpenShift documentation):
  imagestreams set image-lookup mysql                      workloads may write "mysql:latest"
  imagestreams set image-lookup                            list the streams: NAME, LOCAL
  imagestreams set image-lookup deploy/mysql               resolve every image of deployment mysql
  imagestreams set image-lookup mysql --enabled=false`,
    )
    .action(async (targets: string[], opts: Omit<LookupFlags, 'enabled'> & { enabled: string }) => {
      const { imageLookupCommand } = await import('./tag-command.js');
      setResult(await imageLookupCommand(targets, { ...opts, enabled: opts.enabled !== 'false' }, io));
    });
}
