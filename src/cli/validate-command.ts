import { loadRepository } from '../render/repository.js';
import { validateRepository } from '../render/validate.js';
import { kinds } from '../reconcile/model.js';
import { podSpecPathOf } from '../reconcile/fieldpath.js';
import { loadConfig } from './config.js';
import { parseStoreFor } from './pipeline.js';
import type { ConfigFlags } from './config.js';
import { ExitCode } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import { formatGithub, formatJson, formatText } from './format-diagnostics.js';
import type { CliIo } from './io.js';

export type ValidateFormat = 'text' | 'json' | 'github';

export interface ValidateCommandOptions extends ConfigFlags {
  readonly output: ValidateFormat;
}

/** `imagestreams validate [PATH...]`: every rule over every file, every problem in one pass. */
export async function validateCommand(paths: readonly string[], options: ValidateCommandOptions, io: CliIo): Promise<ExitCodeValue> {
  const config = await loadConfig(options, io.env, io.cwd);
  const store = parseStoreFor(config.registry.cacheDir, io.cwd, io.cwd);
  const repo = await loadRepository(paths.length > 0 ? paths : ['.'], {
    walk: config.walk,
    limits: config.limits,
    displayBase: io.cwd,
    ...(store ? { store } : {}),
  });
  const diagnostics = validateRepository(
    repo,
    { defaultNamespace: config.settings.defaultNamespace, workloadKinds: config.settings.workloadKinds },
    { store },
  );
  await store?.save();
  const streams = repo.objects.filter((o) => o.kind === kinds.imageStream).length;
  const workloads = repo.objects.filter((o) => podSpecPathOf(o, config.settings.workloadKinds) !== undefined).length;
  const summary = { files: repo.files.size, streams, workloads };
  if (options.output === 'json') io.stdout(formatJson(diagnostics));
  else if (options.output === 'github') io.stdout(formatGithub(diagnostics));
  else io.stdout(formatText(diagnostics, summary));
  return diagnostics.some((d) => d.severity === 'error') ? ExitCode.findings : ExitCode.ok;
}
