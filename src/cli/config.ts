import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import type { LoadLimits } from '../render/limits.js';
import { defaultLoadLimits } from '../render/limits.js';
import type { WalkOptions } from '../render/walk.js';
import { defaultWalkOptions } from '../render/walk.js';
import { UsageError } from './exit-codes.js';

/** The settled configuration: flags > environment (IMAGESTREAMS_*) > config file > defaults. Frozen. */
export interface Config {
  readonly walk: WalkOptions;
  readonly limits: LoadLimits;
  readonly defaultNamespace: string;
  /** The file the settings came from, if any (for messages). */
  readonly source: string | undefined;
}

interface ConfigFile {
  include?: string[];
  exclude?: string[];
  defaultNamespace?: string;
  limits?: Partial<LoadLimits>;
}

/** Flags a command passes in; undefined means "not given". */
export interface ConfigFlags {
  readonly config?: string | undefined;
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  readonly namespace?: string | undefined;
}

export const defaultConfigFileName = '.imagestreams.yaml';

const validateConfigFile = (() => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8')) as object;
  return new Ajv({ allErrors: true, strict: true }).compile<ConfigFile>(schema);
})();

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => {
      const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
      if (e.keyword === 'additionalProperties') return `${where}: unknown setting "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
      return `${where}: ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

async function readConfigFile(file: string, required: boolean): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read configuration file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { version: '1.1' });
  } catch (err) {
    throw new UsageError(`configuration file ${file} does not parse: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (value === null || value === undefined) return {};
  if (!validateConfigFile(value)) throw new UsageError(`configuration file ${file} is invalid: ${describe(validateConfigFile.errors ?? [])}`);
  return value;
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined || v === '' ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** Settle the configuration for one command run. */
export async function loadConfig(flags: ConfigFlags, env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<Config> {
  const explicit = flags.config ?? env.IMAGESTREAMS_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, defaultConfigFileName);
  const fromFile = (await readConfigFile(file, explicit !== undefined)) ?? {};
  const source = explicit !== undefined || Object.keys(fromFile).length > 0 ? file : undefined;
  const namespace = flags.namespace ?? env.IMAGESTREAMS_NAMESPACE ?? fromFile.defaultNamespace ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    throw new UsageError(`invalid namespace "${namespace}": must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`);
  }
  return Object.freeze({
    walk: Object.freeze({
      include: flags.include?.length ? [...flags.include] : list(env.IMAGESTREAMS_INCLUDE) ?? fromFile.include ?? [...defaultWalkOptions.include],
      exclude: [...(fromFile.exclude ?? []), ...(list(env.IMAGESTREAMS_EXCLUDE) ?? []), ...(flags.exclude ?? [])],
    }),
    limits: Object.freeze({ ...defaultLoadLimits, ...fromFile.limits }),
    defaultNamespace: namespace,
    source,
  });
}
