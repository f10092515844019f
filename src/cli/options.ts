import type { Command } from 'commander';
import { Option } from 'commander';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Options several commands share, defined once so their help stays the same everywhere. */
export const configOption = (): Option =>
  new Option(
    '-c, --config <file>',
    'configuration file (default: .imagestreams.yaml in the current directory, if present; env IMAGESTREAMS_CONFIG)',
  );
/** For verbs where -c means containers, as in oc. */
export const configLongOption = (): Option =>
  new Option(
    '--config <file>',
    'configuration file (default: .imagestreams.yaml in the current directory, if present; env IMAGESTREAMS_CONFIG)',
  );
export const namespaceOption = (): Option =>
  new Option('-n, --namespace <ns>', 'namespace of objects that name none (default "default"; env IMAGESTREAMS_NAMESPACE)');
export const includeOption = (): Option =>
  new Option('--include <glob>', 'only read files matching this glob (repeatable; default **/*.yaml, **/*.yml, **/*.json)').argParser(
    collect,
  );
export const excludeOption = (): Option =>
  new Option('--exclude <glob>', 'leave out files or directories matching this glob (repeatable)').argParser(collect);

export function withRegistryOptions(command: Command): Command {
  return command
    .option(
      '--platform <os/arch[/variant]>',
      'platform Legacy imports pick from a manifest list (default linux/amd64; env IMAGESTREAMS_PLATFORM)',
    )
    .option(
      '--auth-file <file>',
      'registry credentials file, read first (env REGISTRY_AUTH_FILE); then $DOCKER_CONFIG/config.json, ~/.docker/config.json',
    )
    .option(
      '--pull-secret <file>',
      'a Kubernetes Secret of type dockerconfigjson or dockercfg to read registry credentials from (repeatable)',
      collect,
    )
    .option(
      '--cache-dir <dir>',
      'cache directory: image metadata by digest, and parsed files by content (default $XDG_CACHE_HOME/imagestreams or ~/.cache/imagestreams; env IMAGESTREAMS_CACHE_DIR)',
    )
    .option(
      '--certs-dir <dir>',
      'CA and client certificates in the containers layout <dir>/<host[:port]>/ (repeatable; default /etc/containers/certs.d and /etc/docker/certs.d)',
      collect,
    );
}

/** Which files a command reads, and the namespace of objects without one: validate, reconcile. */
export function withFileSelection(command: Command): Command {
  return command.addOption(configOption()).addOption(namespaceOption()).addOption(includeOption()).addOption(excludeOption());
}

/**
 * The options of every verb that works on the repository's files: `--repo`, the configuration, the namespace, and
 * (for verbs that write) `--dry-run`. `-c` means containers for `set triggers`, as in oc, so it gets `--config` only.
 */
export function withRepoOptions(command: Command, options: { dryRun?: string; longConfigOnly?: boolean } = {}): Command {
  command.option('--repo <dir>', 'the repository', '.');
  if (options.dryRun) command.option('--dry-run', options.dryRun);
  return command.addOption(options.longConfigOnly ? configLongOption() : configOption()).addOption(namespaceOption());
}

/**
 * oc (pflag) takes every boolean flag as `--flag`, `--flag=true` or `--flag=false` (and `1`/`0`, `t`/`f`, any case,
 * as Go's strconv.ParseBool). commander takes only `--flag`, so the forms the reference documents write are
 * rewritten before parsing: `=true` to the bare flag, `=false` to nothing (every boolean flag here defaults to
 * off), or to `--no-FLAG` where the command declares one (a flag whose absence means something else, as
 * import-image's `--insecure`, where the stream's annotation decides unless the flag is given). Only flags the command declares as booleans are touched; `--` ends the rewriting.
 */
export function normalizeBooleanFlags(program: Command, argv: readonly string[]): string[] {
  // The flags of the command being run: the program's, then each subcommand's named on the line.
  const booleans = new Set<string>();
  // Flags whose `=false` is not the same as leaving them out (the command also declares `--no-FLAG`).
  const negatable = new Set<string>();
  let command: Command | undefined = program;
  for (const arg of argv) {
    if (!command) break;
    for (const o of command.options) {
      if (!o.required && !o.optional && o.long && !o.negate) booleans.add(o.long);
      if (o.negate && o.long) negatable.add(o.long.replace(/^--no-/, '--'));
    }
    if (arg.startsWith('-')) continue;
    command = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
  }
  const truthy = new Set(['true', '1', 't']);
  const falsy = new Set(['false', '0', 'f']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(--[^=]+)=(.*)$/.exec(arg);
    const value = m?.[2]?.toLowerCase();
    if (m && booleans.has(m[1] as string) && value !== undefined && (truthy.has(value) || falsy.has(value))) {
      if (truthy.has(value)) out.push(m[1] as string);
      else if (negatable.has(m[1] as string)) out.push(`--no-${(m[1] as string).slice(2)}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}
