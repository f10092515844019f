import { createRegistryImporter } from '../import/index.js';
import type { ImportMode, Observation } from '../import/index.js';
import { loadConfig } from './config.js';
import type { ConfigFlags } from './config.js';
import { ExitCode } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { CliIo } from './io.js';

export interface InspectOptions extends ConfigFlags {
  readonly output: 'text' | 'json';
  readonly insecure?: boolean;
  readonly importMode: ImportMode;
}

function text(ref: string, o: Observation): string {
  if ('deferred' in o) return `${ref}\n  import deferred (${o.deferred.code}): ${o.deferred.message}\n`;
  if (!o.ok)
    return `${ref}\n  import failed: ${o.failure.reason}: ${o.failure.message}${o.failure.detail ? `\n  detail: ${o.failure.detail}` : ''}\n`;
  const i = o.image;
  const m = i.metadata;
  const lines = [
    `Image:        ${i.digest}`,
    `Pull spec:    ${i.dockerImageReference}`,
    `Media type:   ${i.manifestMediaType}`,
    ...(i.listDigest
      ? [
          `From list:    ${i.listDigest} (${i.platform ? `${i.platform.os}/${i.platform.architecture}${i.platform.variant ? `/${i.platform.variant}` : ''}` : 'platform unknown'})`,
        ]
      : []),
    ...(m
      ? [
          `Platform:     ${m.Os ?? '?'}/${m.Architecture ?? '?'}${m.Variant ? `/${m.Variant}` : ''}`,
          `Created:      ${m.Created ?? ''}`,
          ...(m.Author ? [`Author:       ${m.Author}`] : []),
          `Size:         ${m.Size} bytes in ${i.layers.length} layers`,
          ...(m.Config?.Entrypoint ? [`Entrypoint:   ${m.Config.Entrypoint.join(' ')}`] : []),
          ...(m.Config?.Cmd ? [`Command:      ${m.Config.Cmd.join(' ')}`] : []),
          ...(m.Config?.WorkingDir ? [`Working dir:  ${m.Config.WorkingDir}`] : []),
          ...(m.Config?.User ? [`User:         ${m.Config.User}`] : []),
          ...(m.Config?.ExposedPorts ? [`Ports:        ${Object.keys(m.Config.ExposedPorts).join(', ')}`] : []),
          ...(m.Config?.Env ? ['Environment:', ...m.Config.Env.map((e) => `  ${e}`)] : []),
          ...(m.Config?.Labels && Object.keys(m.Config.Labels).length > 0
            ? ['Labels:', ...Object.entries(m.Config.Labels).map(([k, v]) => `  ${k}=${v}`)]
            : []),
        ]
      : []),
    ...(i.children
      ? [
          'Manifests:',
          ...i.children.map(
            (c) => `  ${c.digest}  ${c.platform.os}/${c.platform.architecture}${c.platform.variant ? `/${c.platform.variant}` : ''}`,
          ),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** `imagestreams inspect REF...`: resolve references as an import would, and print what was found. */
export async function inspectCommand(refs: readonly string[], options: InspectOptions, io: CliIo): Promise<ExitCodeValue> {
  const config = await loadConfig(options, io.env, io.cwd);
  const registry = await createRegistryImporter(config.registry);
  try {
    const observations = await registry.importer.importImages(
      refs.map((from) => ({ from, importMode: options.importMode, insecure: options.insecure ?? false })),
    );
    if (options.output === 'json') {
      io.stdout(
        `${JSON.stringify(
          refs.map((ref, i) => ({ reference: ref, ...observations[i] })),
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(refs.map((ref, i) => text(ref, observations[i] as Observation)).join('\n'));
    }
    const failed = observations.filter((o) => !o.ok).length;
    if (failed === 0) return ExitCode.ok;
    return failed === observations.length ? ExitCode.findings : ExitCode.partial;
  } finally {
    await registry.close();
  }
}
