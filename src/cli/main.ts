import { Argument, Command, CommanderError, Option } from 'commander';
import { ExitCode, UsageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';
import { version } from './version.js';
import { imageLookupCommand, tagCommand } from './authoring/tag-command.js';
import type { LookupFlags, TagFlags } from './authoring/tag-command.js';
import { describeCommand, getCommand } from './authoring/describe-command.js';
import type { DescribeFlags } from './authoring/describe-command.js';
import { importImageCommand } from './authoring/import-command.js';
import type { ImportImageFlags } from './authoring/import-command.js';
import { setTriggersCommand } from './authoring/triggers-command.js';
import type { TriggerFlags } from './authoring/triggers-command.js';
import { pruneCommand, rollbackCommand } from './authoring/history-command.js';
import type { PruneFlags, RollbackFlags } from './authoring/history-command.js';
import { completionScript } from './completion.js';
import { inspectCommand } from './inspect-command.js';
import { reconcileCommand } from './reconcile-command.js';
import { runCommand } from './run-command.js';
import type { RunOptions } from './run-command.js';
import type { ReconcileOptions } from './reconcile-command.js';
import type { InspectOptions } from './inspect-command.js';
import { validateCommand } from './validate-command.js';
import type { ValidateFormat } from './validate-command.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const exitCodesHelp = `
Exit codes (the same for every command; when several apply, the first of 70, 2, 1, 4, 3 wins):
  0   success, or nothing to do
  1   findings: invalid input
  2   usage or configuration error
  3   changes pending (--check)
  4   partial failure: some imports failed, everything else done
  70  internal error (please report it)`;

/** Options several commands share, defined once so their help stays the same everywhere. */
const configOption = (): Option => new Option('-c, --config <file>', 'configuration file (default: .imagestreams.yaml in the current directory, if present; env IMAGESTREAMS_CONFIG)');
/** For verbs where -c means containers, as in oc. */
const configLongOption = (): Option => new Option('--config <file>', 'configuration file (default: .imagestreams.yaml in the current directory, if present; env IMAGESTREAMS_CONFIG)');
const namespaceOption = (): Option => new Option('-n, --namespace <ns>', 'namespace of objects that name none (default "default"; env IMAGESTREAMS_NAMESPACE)');
const includeOption = (): Option => new Option('--include <glob>', 'only read files matching this glob (repeatable; default **/*.yaml, **/*.yml, **/*.json)').argParser(collect);
const excludeOption = (): Option => new Option('--exclude <glob>', 'leave out files or directories matching this glob (repeatable)').argParser(collect);

function withRegistryOptions(command: Command): Command {
  return command
    .option('--platform <os/arch[/variant]>', 'platform Legacy imports pick from a manifest list (default linux/amd64; env IMAGESTREAMS_PLATFORM)')
    .option('--auth-file <file>', 'registry credentials file, read first (env REGISTRY_AUTH_FILE); then $DOCKER_CONFIG/config.json, ~/.docker/config.json')
    .option('--pull-secret <file>', 'a Kubernetes Secret of type dockerconfigjson or dockercfg to read registry credentials from (repeatable)', collect)
    .option('--cache-dir <dir>', 'metadata cache directory (default $XDG_CACHE_HOME/imagestreams or ~/.cache/imagestreams; env IMAGESTREAMS_CACHE_DIR)')
    .option('--certs-dir <dir>', 'CA and client certificates in the containers layout <dir>/<host[:port]>/ (repeatable; default /etc/containers/certs.d and /etc/docker/certs.d)', collect);
}

function buildProgram(io: CliIo, setResult: (code: ExitCodeValue) => void): Command {
  const program = new Command('imagestreams')
    .description('OpenShift ImageStream semantics for any Git repository: validate stream definitions, import from registries, reconcile status and workloads.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .addHelpText('after', exitCodesHelp);

  program
    .command('validate')
    .description('Check ImageStream definitions and the workloads that use them against the schemas and OpenShift\'s rules. Reports every problem in one pass as file:line:col.')
    .argument('[paths...]', 'files or directories to check (default: the current directory)')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'github']).default('text'))
    .addOption(configOption())
    .addOption(namespaceOption())
    .addOption(includeOption())
    .addOption(excludeOption())
    .addHelpText(
      'after',
      `
Examples:
  imagestreams validate                       check the current directory
  imagestreams validate streams/ apps/web.yaml
  imagestreams validate -o github             annotations for a GitHub Actions pull-request check
  imagestreams validate -o json | jq '.[] | select(.severity == "error")'

Exit status: 0 when there are no errors (warnings allowed), 1 when there are errors, 2 for a usage error.`,
    )
    .action(async (paths: string[], opts: { output: ValidateFormat; config?: string; namespace?: string; include?: string[]; exclude?: string[] }) => {
      setResult(await validateCommand(paths, opts, io));
    });

  withRegistryOptions(program.command('reconcile'))
    .description('One pass, as OpenShift would do it: import what is due from the registries, write the resolved status back into the stream files (only the values that change, byte for byte), and report. For CI and for people; the daemon runs the same pass in a loop.')
    .option('--repo <dir>', 'the repository (working tree) to reconcile', '.')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--offline', 'no registry access: only what follows from the repository itself (tracking, copies, ImageStreamImage, reference tags)')
    .option('--dry-run', 'print a unified diff of what would change; write nothing')
    .option('--check', 'write nothing; exit 3 when anything would change, 0 when reconciled (with --offline: the pull-request check)')
    .option('--force-import', 'import every importable tag now, as if due')
    .option('--now <time>', 'the clock, RFC 3339 (for reproducible runs), e.g. 2024-05-01T12:00:00Z')
    .option('--local-registry <host>', 'stand-in for the integrated registry: status.dockerImageRepository and referencePolicy Local (env IMAGESTREAMS_LOCAL_REGISTRY)')
    .option('--commit', 'commit the files this pass changed (only those; never a file with uncommitted edits) in the --repo working tree')
    .option('--push', 'with --commit: push the commit to the branch\'s remote (never forced)')
    .option('--author <author>', 'commit author for --commit', 'imagestreams <imagestreams@localhost>')
    .option('--git-credentials <file>', 'HTTP(S) credentials for --push: JSON {"username","password"} or user:password')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addOption(includeOption())
    .addOption(excludeOption())
    .addHelpText(
      'after',
      `
Examples:
  imagestreams reconcile                              import what is due and write status in the current repository
  imagestreams reconcile --dry-run                    show the diff only
  imagestreams reconcile --offline --check            pull-request check: is everything derivable already written?
  imagestreams reconcile --check --now 2024-05-01T12:00:00Z -o json

Exit status: 0 done (or nothing to do), 1 invalid files (reported and skipped; every valid file is still
reconciled), 2 usage error, 3 changes pending (--check), 4 some imports failed (everything else written),
70 internal error.`,
    )
    .action(async (opts: ReconcileOptions) => {
      setResult(await reconcileCommand(opts, io));
    });

  withRegistryOptions(program.command('run'))
    .description('The daemon: follow a Git repository and keep it reconciled. A pass runs at startup, when the remote branch moves, when scheduled tags come due and on registry notifications; each pass that changes something makes one commit and pushes it (never forced; on a race it fetches, plans again and retries).')
    .option('--repo-url <url>', 'clone this repository (shallow, one branch) into a working directory the daemon owns, and push to it')
    .option('--repo <dir>', 'or: a local working tree; watched for changes, committed locally, pushed only if it has a remote')
    .option('--branch <name>', 'branch to follow', 'main')
    .option('--push-branch <name>', 'push to this branch instead (for protected branches)')
    .option('--workdir <dir>', 'where --repo-url is cloned (default: under the cache directory; reused across restarts)')
    .option('--listen <host:port>', 'address for /healthz, /readyz, /metrics and the hooks', '127.0.0.1:8080')
    .option('--poll-interval <duration>', 'how often to check the remote branch', '30s')
    .option('--debounce <duration>', 'collect bursts of events into one pass', '2s')
    .option('--max-wait <duration>', 'longest a request waits while a burst continues', '15s')
    .option('--git-credentials <file>', 'HTTP(S) credentials for Git: JSON {"username","password"} or user:password (or env IMAGESTREAMS_GIT_USERNAME / IMAGESTREAMS_GIT_PASSWORD)')
    .option('--git-hook-secret-file <file>', 'shared secret for POST /hooks/git (or env IMAGESTREAMS_GIT_HOOK_SECRET)')
    .option('--registry-hook-secret-file <file>', 'shared secret for POST /hooks/registry (or env IMAGESTREAMS_REGISTRY_HOOK_SECRET)')
    .option('--host-alias <hosts>', 'names of one registry, e.g. registry.internal:5000=10.0.0.5:5000 (repeatable)', collect)
    .option('--author <author>', 'commit author', 'imagestreams <imagestreams@localhost>')
    .option('--no-push', 'commit but do not push')
    .option('--local-registry <host>', 'stand-in for the integrated registry (see reconcile)')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText(
      'after',
      `
Examples:
  imagestreams run --repo-url https://git.example.com/ops/deploy.git --git-credentials /secrets/git
  imagestreams run --repo . --no-push          keep a local checkout reconciled, commit locally

Endpoints: GET /healthz, GET /readyz (200 once a pass succeeded), GET /metrics (Prometheus),
POST /hooks/git (forge push webhook), POST /hooks/registry (distribution notifications).
Hooks need their secret: Authorization: Bearer <secret>, X-Gitlab-Token, or X-Hub-Signature-256.
Logs are JSON lines on stderr. SIGTERM finishes the current pass, then exits 0. See docs/daemon.md.`,
    )
    .action(async (opts: RunOptions) => {
      setResult(await runCommand(opts, io));
    });

  program
    .command('tag')
    .description('Set or delete spec tags in the repository, as `oc tag` does: a stream tag source is pinned to its current image (an ImageStreamImage) unless --alias tracks it; a registry reference becomes a DockerImage tag. Creates the destination stream when it does not exist.')
    .argument('<source-or-dest>', 'SOURCE (stream:tag, stream@id, ns/stream:tag, or a registry reference), then DEST...; with -d, only DESTs')
    .argument('[dest...]', 'one or more stream:tag (or ns/stream:tag) destinations')
    .option('--alias', 'track the source tag (same stream only)')
    .option('--scheduled', 'check the source for updates periodically (DockerImage sources)')
    .option('--reference', 'record the reference without importing it')
    .option('--reference-policy <policy>', 'local or source')
    .option('--insecure', 'allow insecure transport for the import')
    .addOption(new Option('--import-mode <mode>', 'Legacy or PreserveOriginal').choices(['Legacy', 'PreserveOriginal']))
    .addOption(new Option('--source <kind>', 'what SOURCE is, when it could be read either way').choices(['docker', 'imagestreamtag', 'imagestreamimage']))
    .option('-d, --delete', 'delete the given tags (and their history)')
    .option('--file <path>', 'file for a stream that does not exist yet (default imagestreams/<namespace>/<name>.yaml)')
    .option('--repo <dir>', 'the repository', '.')
    .option('--dry-run', 'print the diff; write nothing')
    .addOption(configOption())
    .addOption(namespaceOption())
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
      setResult(await tagCommand([first, ...rest], opts, io));
    });

  withRegistryOptions(program.command('import-image'))
    .description('Add or update a stream\'s tag from a registry and import it now, writing the status, as `oc import-image` does. Without --confirm it will not create a new stream.')
    .argument('<name>', 'NAME[:TAG] (TAG defaults to latest; NAME may be ns/name)')
    .option('--from <reference>', 'the image (or, with --all, the repository) to import')
    .option('--all', 'import the repository\'s tags (OpenShift\'s priority order, up to reconcile.repositoryTagCap)')
    .option('--confirm', 'create the stream if it does not exist')
    .option('--scheduled', 'check the source for updates periodically')
    .option('--insecure', 'allow insecure transport')
    .option('--reference-policy <policy>', 'local or source')
    .addOption(new Option('--import-mode <mode>', 'Legacy or PreserveOriginal').choices(['Legacy', 'PreserveOriginal']))
    .option('--file <path>', 'file for a new stream (default imagestreams/<namespace>/<name>.yaml)')
    .option('--now <time>', 'the clock (RFC 3339)')
    .option('--repo <dir>', 'the repository', '.')
    .option('--dry-run', 'print the spec change as a diff; import nothing, write nothing')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples (from the OpenShift documentation):\n  imagestreams import-image my-ruby --from=docker.io/openshift/ruby-20-centos7 --confirm\n  imagestreams import-image my-ruby --from=docker.io/openshift/ruby-20-centos7 --all --confirm')
    .action(async (target: string, opts: ImportImageFlags) => {
      setResult(await importImageCommand(target, opts, io));
    });

  program
    .command('rollback')
    .description('Point a tag at an image from its own history, as a permanent ImageStreamImage tag: the GitOps way to roll a tag back.')
    .argument('<istag>', 'istag/NAME:TAG')
    .option('--to-revision <n>', 'how many images back from the current one (default 1: the one before it)')
    .option('--to-image <digest>', 'a digest (or unique prefix) from the tag\'s history')
    .option('--now <time>', 'the clock (RFC 3339)')
    .option('--repo <dir>', 'the repository', '.')
    .option('--dry-run', 'print the diff; write nothing')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples:\n  imagestreams rollback istag/ruby:latest\n  imagestreams rollback istag/ruby:latest --to-image sha256:49c18358')
    .action(async (target: string, opts: RollbackFlags) => {
      setResult(await rollbackCommand(target, opts, io));
    });

  program
    .command('prune')
    .description('Trim status history in the repository. Never removes the current image of a tag, an image a workload references, or one a spec tag pins. Without --confirm it only lists what it would remove.')
    .option('--keep-tag-revisions <n>', 'history items kept per tag, the current one included', '3')
    .option('--keep-younger-than <duration>', 'keep items created more recently than this (e.g. 60m, 24h)', '60m')
    .option('--confirm', 'remove them')
    .option('--now <time>', 'the clock (RFC 3339)')
    .option('--repo <dir>', 'the repository', '.')
    .option('--dry-run', 'with --confirm: print the diff instead of writing')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples:\n  imagestreams prune --keep-tag-revisions 5\n  imagestreams prune --keep-tag-revisions 5 --keep-younger-than 24h --confirm')
    .action(async (opts: PruneFlags) => {
      setResult(await pruneCommand(opts, io));
    });

  program
    .command('completion')
    .description('Print a shell completion script.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText('after', '\nExamples:\n  source <(imagestreams completion bash)\n  imagestreams completion zsh > "${fpath[1]}/_imagestreams"')
    .action((shell: 'bash' | 'zsh') => {
      io.stdout(completionScript(program, shell));
    });

  withRegistryOptions(program.command('describe'))
    .description('Show a stream (is/NAME) or a stream tag (istag/NAME:TAG) as `oc describe` does: tags, history with relative times, and for a tag the image metadata (from the metadata cache, fetched when missing).')
    .argument('<target>', 'is/NAME or istag/NAME:TAG (NAME may be ns/name)')
    .addOption(new Option('-o, --output <format>', 'text as oc prints it, or the object').choices(['text', 'json', 'yaml']).default('text'))
    .option('--offline', 'never contact a registry: show only what the repository holds')
    .option('--now <time>', 'the clock for relative times (RFC 3339)')
    .option('--repo <dir>', 'the repository', '.')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples (from the OpenShift documentation):\n  imagestreams describe is/python\n  imagestreams describe istag/python:latest')
    .action(async (target: string, opts: DescribeFlags) => {
      setResult(await describeCommand(target, opts, io));
    });

  program
    .command('get')
    .description('List the image streams of a namespace as `oc get is` does: NAME, IMAGE REPOSITORY, TAGS, UPDATED.')
    .argument('<kind>', 'is')
    .addOption(new Option('-o, --output <format>', 'the table, or the objects').choices(['text', 'json', 'yaml']).default('text'))
    .option('--now <time>', 'the clock for relative times (RFC 3339)')
    .option('--repo <dir>', 'the repository', '.')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText('after', '\nExample:\n  imagestreams get is -n openshift')
    .action(async (kind: string, opts: DescribeFlags) => {
      setResult(await getCommand(kind, opts, io));
    });

  const set = program.command('set').description('Change settings on streams and workloads in the repository, as `oc set` does.');
  set
    .command('triggers')
    .description('Add, pause or remove the image triggers of a workload: the image.openshift.io/triggers annotation (written in the form the in-cluster controller accepts), or a DeploymentConfig\'s ImageChange triggers.')
    .argument('<workload>', 'KIND/NAME: deploy/NAME, sts/NAME, ds/NAME, cj/NAME, job/NAME, rs/NAME, rc/NAME, pod/NAME, dc/NAME')
    .option('--from-image <stream:tag>', 'the stream tag to follow')
    .option('-c, --containers <name>', 'container to update (repeatable; default: the first container)', collect)
    .option('--remove', 'remove the trigger for --from-image')
    .option('--remove-all', 'remove every image trigger')
    .option('--manual', 'add the trigger paused (DeploymentConfig: automatic: false)')
    .option('--auto', 'add the trigger active (the default)')
    .option('--repo <dir>', 'the repository', '.')
    .option('--dry-run', 'print the diff; write nothing')
    .addOption(configLongOption())
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples (from the OpenShift documentation):\n  imagestreams set triggers deploy/example --from-image=example:latest -c web\n  imagestreams set triggers deploy/example --from-image=example:latest --remove')
    .action(async (target: string, opts: TriggerFlags) => {
      setResult(await setTriggersCommand(target, opts, io));
    });

  set
    .command('image-lookup')
    .description('Let workloads use a stream by its short name (spec.lookupPolicy.local), or (KIND/NAME) resolve every image of a workload through streams (the resolve-names annotation on its pod template).')
    .argument('<targets...>', 'stream names (NAME or is/NAME), or workloads (deploy/NAME, sts/NAME, ...)')
    .addOption(new Option('--enabled <bool>', 'true to enable, false to disable').choices(['true', 'false']).default('true'))
    .option('--repo <dir>', 'the repository', '.')
    .option('--dry-run', 'print the diff; write nothing')
    .addOption(configOption())
    .addOption(namespaceOption())
    .addHelpText(
      'after',
      `
Examples (from the OpenShift documentation):
  imagestreams set image-lookup mysql                      workloads may write "mysql:latest"
  imagestreams set image-lookup deploy/mysql               resolve every image of deployment mysql
  imagestreams set image-lookup mysql --enabled=false`,
    )
    .action(async (targets: string[], opts: Omit<LookupFlags, 'enabled'> & { enabled: string }) => {
      setResult(await imageLookupCommand(targets, { ...opts, enabled: opts.enabled !== 'false' }, io));
    });

  withRegistryOptions(program.command('inspect'))
    .description('Resolve image references as an import would (same auth, transport, cache and platform choice) and print the digest and metadata. Reads no repository and writes nothing but the metadata cache.')
    .argument('<references...>', 'image references, e.g. quay.io/org/app:1.2 or docker.io/library/ruby:3.3')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--insecure', 'skip TLS verification and fall back to plain HTTP, like importPolicy.insecure')
    .addOption(configOption())
    .addOption(new Option('--import-mode <mode>', 'Legacy picks one image from a manifest list; PreserveOriginal keeps the list').choices(['Legacy', 'PreserveOriginal']).default('Legacy'))
    .addHelpText(
      'after',
      `
Examples:
  imagestreams inspect docker.io/library/ruby:3.3
  imagestreams inspect --platform linux/arm64 -o json quay.io/org/app:1.2
  imagestreams inspect --insecure 127.0.0.1:5000/team/app:latest

Exit status: 0 when every reference resolved, 1 when none did, 4 when some did not, 2 for a usage error.`,
    )
    .action(async (refs: string[], opts: InspectOptions) => {
      setResult(await inspectCommand(refs, opts, io));
    });

  return program;
}

/** Run the CLI with the given arguments; returns the exit code and never throws. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let result: ExitCodeValue = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    result = code;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return result;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage; // commander has already printed the message
    }
    if (err instanceof UsageError) {
      io.stderr(`imagestreams: ${err.message}\n`);
      return ExitCode.usage;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr(
      `imagestreams ${version}: internal error: ${detail}\n` +
        'This is a bug in imagestreams. Please report it with the command you ran and the output above.\n',
    );
    return ExitCode.internal;
  }
}
