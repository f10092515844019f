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
      'metadata cache directory (default $XDG_CACHE_HOME/imagestreams or ~/.cache/imagestreams; env IMAGESTREAMS_CACHE_DIR)',
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
