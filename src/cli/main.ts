/**
 * The command line: every command is defined here (statically, so `--help` and completion are complete), and each
 * action loads its command's module with `import()` when it runs. `--version` and `--help` load commander and
 * nothing else; `validate` the text edge and ajv; `inspect` the registry edge; `run` everything (issue "Cost").
 * Only `import type` may name a command module statically.
 */
import { Command, CommanderError, Option } from 'commander';
import { defaultImportMode, importModes } from '../reconcile/model.js';
import { registerAuthoringCommands } from './authoring/register.js';
import { ExitCode } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { InspectOptions } from './inspect-command.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';
import { collect, configOption, namespaceOption, normalizeBooleanFlags, withFileSelection, withRegistryOptions } from './options.js';
import { reportFormats, withPullRequestOptions } from './publish-options.js';
import type { ReconcileOptions } from './reconcile-command.js';
import type { RunOptions } from './run-command.js';
import type { ValidateFormat } from './validate-command.js';
import { version } from './version.js';

const exitCodesHelp = `
Exit codes (the same for every command; when several apply, the first of 70, 2, 1, 5, 4, 3 wins):
  0   success, or nothing to do
  1   findings: invalid input
  2   usage or configuration error
  3   changes pending (--check)
  4   partial failure: some imports or files failed, everything else done; or a file changed on disk
      during the run (nothing written: run again)
  5   could not publish: Git or the forge refused or was unreachable (the work is committed locally)
  70  internal error (please report it)`;

function buildProgram(io: CliIo, setResult: (code: ExitCodeValue | number) => void): Command {
  const program = new Command('imagestreams')
    .description(
      'OpenShift ImageStream semantics for any Git repository: validate stream definitions, import from registries, reconcile status and workloads.',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .addHelpText('after', exitCodesHelp);

  withFileSelection(program.command('validate'))
    .description(
      "Check ImageStream definitions and the workloads that use them against the schemas and OpenShift's rules. Reports every problem in one pass as file:line:col.",
    )
    .argument('[paths...]', 'files or directories to check (default: the current directory)')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'github']).default('text'))
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
    .action(
      async (
        paths: string[],
        opts: { output: ValidateFormat; config?: string; namespace?: string; include?: string[]; exclude?: string[] },
      ) => {
        const { validateCommand } = await import('./validate-command.js');
        setResult(await validateCommand(paths, opts, io));
      },
    );

  withPullRequestOptions(withFileSelection(withRegistryOptions(program.command('reconcile'))))
    .description(
      'One pass, as OpenShift would do it: import what is due from the registries, write the resolved status back into the stream files (only the values that change, byte for byte), and report. For CI and for people; the daemon runs the same pass in a loop.',
    )
    .option('--repo <dir>', 'the repository (working tree) to reconcile', '.')
    .addOption(
      new Option('-o, --output <format>', 'report format (markdown: tables for a job summary or a comment; github: annotations)')
        .choices(['text', 'json', ...reportFormats])
        .default('text'),
    )
    .option(
      '--offline',
      'no registry access: only what follows from the repository itself (tracking, copies, ImageStreamImage, reference tags)',
    )
    .option('--dry-run', 'print a unified diff of what would change; write nothing')
    .option('--check', 'write nothing; exit 3 when anything would change, 0 when reconciled (with --offline: the pull-request check)')
    .option('--force-import', 'import every importable tag now, as if due')
    .option('--now <time>', 'the clock, RFC 3339 (for reproducible runs), e.g. 2024-05-01T12:00:00Z')
    .option(
      '--local-registry <host>',
      'stand-in for the integrated registry: status.dockerImageRepository and referencePolicy Local (env IMAGESTREAMS_LOCAL_REGISTRY)',
    )
    .option('--commit', 'commit the files this pass changed (only those; never a file with uncommitted edits) in the --repo working tree')
    .option(
      '--push',
      "with --commit: push the commit to the branch's remote (never forced; a rejected push is fetched, planned again and retried)",
    )
    .option('--author <author>', 'commit author for --commit', 'imagestreams <imagestreams@localhost>')
    .option('--git-credentials <file>', 'HTTP(S) credentials for --push: JSON {"username","password"} or user:password')
    .addHelpText(
      'after',
      `
Examples:
  imagestreams reconcile                              import what is due and write status in the current repository
  imagestreams reconcile --dry-run                    show the diff only
  imagestreams reconcile --offline --check            pull-request check: is everything derivable already written?
  imagestreams reconcile --check --now 2024-05-01T12:00:00Z -o json
  imagestreams reconcile --offline --check -o markdown >> "$GITHUB_STEP_SUMMARY"
  imagestreams reconcile --commit --push --pull-request    open or update the pull request (docs/pull-requests.md)

Exit status: 0 done (or nothing to do), 1 invalid files (reported and skipped; every valid file is still
reconciled), 2 usage error, 3 changes pending (--check), 4 some imports failed or a file could not be rendered
(everything else written), 5 committed but not published (--push refused past the retries, or Git unreachable),
70 internal error.`,
    )
    .action(async (opts: ReconcileOptions) => {
      const { reconcileCommand } = await import('./reconcile-command.js');
      setResult(await reconcileCommand(opts, io));
    });

  withPullRequestOptions(withRegistryOptions(program.command('run')))
    .description(
      'The daemon: follow a Git repository and keep it reconciled. A pass runs at startup, when the remote branch moves, when scheduled tags come due and on registry notifications; each pass that changes something makes one commit and pushes it (never forced; on a race it fetches, plans again and retries).',
    )
    .option('--repo-url <url>', 'clone this repository (shallow, one branch) into a working directory the daemon owns, and push to it')
    .option('--repo <dir>', 'or: a local working tree; watched for changes, committed locally, pushed only if it has a remote')
    .option('--branch <name>', 'branch to follow', 'main')
    .option('--push-branch <name>', 'push to this branch instead (for protected branches)')
    .option(
      '--workdir <dir>',
      'where --repo-url is cloned (default: under the cache directory); a cache of the remote, reset or re-cloned as needed',
    )
    .option(
      '--state-dir <dir>',
      'where accepted notifications are kept until they land (default: <workdir>.state, or .git/imagestreams with --repo)',
    )
    .option('--listen <host:port>', 'address for /healthz, /readyz, /status, /metrics and the hooks', '127.0.0.1:8080')
    .option('--poll-interval <duration>', 'how often to check the remote branch', '30s')
    .option('--debounce <duration>', 'wait this long for more events before a pass (0s: a pass starts at once when idle)', '0s')
    .option('--max-wait <duration>', 'with --debounce: longest a request waits while a burst continues', '15s')
    .option('--pass-timeout <duration>', 'deadline of one pass; past it the pass is aborted and retried', '10m')
    .option('--grace-period <duration>', 'on SIGTERM/SIGINT, how long the running pass may take before it is aborted', '30s')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (or env IMAGESTREAMS_LOG_LEVEL)')
    .option(
      '--git-credentials <file>',
      'HTTP(S) credentials for Git: JSON {"username","password"} or user:password (or env IMAGESTREAMS_GIT_USERNAME / IMAGESTREAMS_GIT_PASSWORD)',
    )
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

Endpoints: GET /healthz (503 when a pass is wedged past its deadline), GET /readyz (200 when the last pass
landed; 503 with the state and reason while starting, stalled or failing), GET /status (JSON), GET /metrics
(Prometheus), POST /hooks/git (forge push webhook), POST /hooks/registry (distribution notifications).
Hooks need their secret: Authorization: Bearer <secret>, X-Gitlab-Token, or X-Hub-Signature-256. An accepted
hook (202) is kept on disk until a pass lands it, across failures and restarts.
A remote that cannot be reached or refuses the credentials does not stop the daemon: it reports itself stalled
and retries with backoff. Bad flags, unreadable credentials or an unusable --listen address exit 2 at once.
Logs are JSON lines on stderr. SIGTERM/SIGINT: the running pass gets --grace-period, then is aborted; exit 0
when stopped cleanly, 128+signal when the grace period ran out or a second signal came. See docs/daemon.md.`,
    )
    .action(async (opts: RunOptions) => {
      const { runCommand } = await import('./run-command.js');
      setResult(await runCommand(opts, io));
    });

  registerAuthoringCommands(program, io, setResult);

  withRegistryOptions(program.command('inspect'))
    .description(
      'Resolve image references as an import would (same auth, transport, cache and platform choice) and print the digest and metadata. Reads no repository and writes nothing but the metadata cache.',
    )
    .argument('<references...>', 'image references, e.g. quay.io/org/app:1.2 or docker.io/library/ruby:3.3')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--insecure', 'skip TLS verification and fall back to plain HTTP, like importPolicy.insecure')
    .addOption(configOption())
    .addOption(
      new Option('--import-mode <mode>', 'Legacy picks one image from a manifest list; PreserveOriginal keeps the list')
        .choices([...importModes])
        .default(defaultImportMode),
    )
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
      const { inspectCommand } = await import('./inspect-command.js');
      setResult(await inspectCommand(refs, opts, io));
    });

  return program;
}

/** Run the CLI with the given arguments; returns the exit code and never throws. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let result: number = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    result = code;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(normalizeBooleanFlags(program, argv), { from: 'user' });
    return result;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage; // commander has already printed the message
    }
    // The failure table names every edge's error types (Git, registry, render), so it loads only on a failure.
    const [{ describeFailure }, { redactUrlCredentials }] = await Promise.all([import('./failures.js'), import('../gitsource/repo.js')]);
    const failure = describeFailure(err);
    if (failure.kind !== 'bug') {
      io.stderr(`imagestreams: ${failure.message}\n`);
      return failure.exit;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr(
      `imagestreams ${version}: internal error: ${redactUrlCredentials(detail)}\n` +
        'This is a bug in imagestreams. Please report it with the command you ran and the output above.\n',
    );
    return ExitCode.internal;
  }
}
