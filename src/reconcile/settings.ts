/**
 * Everything a pass decides by that comes from configuration, as one type. The shell parses and validates
 * configuration, environment and flags into it in one place (src/cli/config.ts); the core reads it here and nowhere
 * else (src/reconcile/pass.ts hands each rule its part). Adding a setting: the schema (schemas/config.schema.json),
 * this type and its default, the line in config.ts that parses it, and the place it is used.
 */
import type { CustomWorkloadKind } from './fieldpath.js';
import { defaultWorkloadKinds } from './fieldpath.js';

export interface ReconcileSettings {
  /** The namespace of an object that names none (`-n`, IMAGESTREAMS_NAMESPACE, `defaultNamespace`). */
  readonly defaultNamespace: string;
  /** Stand-in for the integrated registry: `status.dockerImageRepository` and referencePolicy Local (§6.14, §13.4). */
  readonly localRegistry: string | undefined;
  /** History items kept per tag; 0 keeps all, as OpenShift does. */
  readonly historyLimit: number;
  /** How often scheduled tags are checked (OpenShift: 15 minutes). */
  readonly scheduleIntervalMs: number;
  /** Tags a whole-repository import takes, in OpenShift's priority order; -1 takes all. */
  readonly repositoryTagCap: number;
  /** Source namespace → namespaces that may use its streams ('*' = any); a namespace not listed allows all. */
  readonly imagePullers: ReadonlyMap<string, readonly string[]> | undefined;
  /** Custom kinds with a pod template, matched before the built-in kinds (fieldpath.ts podSpecPathOf). */
  readonly workloadKinds: readonly CustomWorkloadKind[];
  /** How long a new image (or a policy's newly chosen tag) must be known before it is adopted (maturity.ts); 0: at once. */
  readonly minAgeMs: number;
}

export const defaultReconcileSettings: ReconcileSettings = Object.freeze({
  defaultNamespace: 'default',
  localRegistry: undefined,
  historyLimit: 0,
  scheduleIntervalMs: 15 * 60_000,
  repositoryTagCap: 50,
  imagePullers: undefined,
  workloadKinds: defaultWorkloadKinds,
  minAgeMs: 0,
});

/** The accepted range of each numeric setting (config.ts refuses a value outside it rather than clamping it). */
export const settingRanges = {
  historyLimit: { min: 0 },
  scheduleIntervalMs: { min: 60_000 },
  repositoryTagCap: { min: -1 },
  minAgeMs: { min: 0 },
} as const;
