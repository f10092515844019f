import { createHash } from 'node:crypto';
import type { DiagnosticCode } from '../reconcile/codes.js';
import { finding } from '../reconcile/codes.js';
import type { LocatedFinding, ManifestObject } from '../reconcile/objects.js';
import { holdsTemplateParameter, locate } from '../reconcile/objects.js';
import { StreamIndex } from '../reconcile/stream-index.js';
import { validateStreams } from '../reconcile/validate-streams.js';
import { validateWorkloads } from '../reconcile/validate-workloads.js';
import { validateMarkers } from '../reconcile/markers.js';
import { validateTagAnnotations } from '../reconcile/validate-policies.js';
import { validateKustomization } from '../reconcile/kustomize.js';
import type { CustomWorkloadKind } from '../reconcile/fieldpath.js';
import type { Diagnostic } from './diagnostic.js';
import { compareDiagnostics } from './diagnostic.js';
import { valueAtPointer } from '../reconcile/values.js';
import { parsePointer } from './positions.js';
import type { LoadedRepository } from './repository.js';
import { placeFinding } from './repository.js';
import { parseCronSchedule } from './cron.js';
import { validateImageStreamSchema, validateTriggersSchema } from './schemas.js';

export interface ValidateOptions {
  /** Namespace of objects that name none (what `oc apply` without `-n` would use). */
  readonly defaultNamespace: string;
  /** Custom kinds with a pod template (reconcile.workloadKinds); default: the built-in ones. */
  readonly workloadKinds?: readonly CustomWorkloadKind[];
}

const valueAt = (value: unknown, pointer: string): unknown => valueAtPointer(value, pointer).value;

/** Upstream validation texts for the enums the schema also checks (oas validation.go; semantics.md §1.3, §1.4, §1.9). */
function schemaCode(pointer: string, keyword: string): { code: DiagnosticCode; message?: string } {
  if (/\/from\/kind$/.test(pointer) && keyword === 'enum') {
    return { code: 'invalid-from-kind', message: "valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'" };
  }
  if (/\/importPolicy\/importMode$/.test(pointer) && keyword === 'enum') {
    return { code: 'invalid-import-mode', message: "invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'" };
  }
  if (/\/referencePolicy\/type$/.test(pointer) && keyword === 'enum') {
    return { code: 'invalid-reference-policy', message: 'valid values are "Source", "Local"' };
  }
  switch (keyword) {
    case 'required':
      return { code: 'missing-field' };
    case 'additionalProperties':
      return { code: 'unknown-field' };
    case 'type':
      return { code: 'wrong-type' };
    case 'enum':
    case 'const':
      return { code: 'invalid-value' };
    case 'format':
      return { code: 'invalid-format' };
    default:
      return { code: 'schema' };
  }
}

/** JSON Schema findings for one ImageStream; values holding a Template parameter are not judged until substituted. */
function schemaFindings(object: ManifestObject): LocatedFinding[] {
  return validateImageStreamSchema(object.value).flatMap((e) => {
    if (object.template && holdsTemplateParameter(valueAt(object.value, e.pointer))) return [];
    const mapped = schemaCode(e.pointer, e.keyword);
    const label = e.pointer === '' ? '' : `${parsePointer(e.pointer).join('.')}: `;
    const message = mapped.message
      ? `${label}Unsupported value: ${JSON.stringify(valueAt(object.value, e.pointer))}: ${mapped.message}`
      : e.message;
    return [locate(object, finding(mapped.code, e.pointer, message, { atKey: e.keyword === 'additionalProperties' }))];
  });
}

/**
 * The last validation of a repository, for whoever loads the same repository again (the daemon, pass after pass):
 * when every file is the very object the last load gave (the load cache's hit), the load's own problems are the
 * same and the options are (the same custom kinds, by identity), the diagnostics are the last ones. Any other
 * change validates everything again, since rules cross files (duplicates, references between streams).
 */
export class ValidationMemo {
  /**
   * The files by weak reference: the memo must not keep a load's parses alive into the next load (the daemon's
   * after its own commit reads every file again, and would hold two parses of each). A file collected since is a
   * new object anyway.
   */
  last:
    | { files: ReadonlyMap<string, WeakRef<object>>; loadDiagnostics: string; options: ValidateOptions; diagnostics: Diagnostic[] }
    | undefined;
}

function sameInputs(memo: ValidationMemo['last'], repo: LoadedRepository, options: ValidateOptions): boolean {
  if (!memo || memo.files.size !== repo.files.size) return false;
  if (memo.options.defaultNamespace !== options.defaultNamespace || memo.options.workloadKinds !== options.workloadKinds) return false;
  for (const [file, parsed] of repo.files) if (memo.files.get(file)?.deref() !== parsed) return false;
  return memo.loadDiagnostics === JSON.stringify(repo.diagnostics);
}

/**
 * Validations kept between processes (the parse store): the last one, recalled when every file's entry, the load's
 * own diagnostics and the options are the same.
 */
export interface ValidationStore {
  /** The store's name for a file's last load (its display name, the limits and its text), if it loaded it. */
  entryOf(file: string): string | undefined;
  recallValidation(key: string): readonly Diagnostic[] | undefined;
  rememberValidation(key: string, diagnostics: readonly Diagnostic[]): void;
}

function storedKey(store: ValidationStore, repo: LoadedRepository, options: ValidateOptions): string | undefined {
  const files: string[] = [];
  for (const file of repo.files.keys()) {
    const entry = store.entryOf(file);
    if (entry === undefined) return undefined;
    files.push(file, entry);
  }
  return createHash('sha256')
    .update(JSON.stringify([files, repo.diagnostics, options.defaultNamespace, options.workloadKinds ?? null]))
    .digest('base64url');
}

/**
 * Every diagnostic of a loaded repository. `reuse` may hand in the last validation: the daemon's in-memory memo,
 * and the parse store's, which outlives the process.
 */
export function validateRepository(
  repo: LoadedRepository,
  options: ValidateOptions,
  reuse: { readonly memo?: ValidationMemo | undefined; readonly store?: ValidationStore | undefined } = {},
): Diagnostic[] {
  const { memo, store } = reuse;
  if (memo && sameInputs(memo.last, repo, options)) return [...(memo.last?.diagnostics ?? [])];
  const key = store ? storedKey(store, repo, options) : undefined;
  const recalled = key === undefined ? undefined : store?.recallValidation(key);
  const diagnostics = recalled ? [...recalled] : validateAll(repo, options);
  if (key !== undefined && !recalled) store?.rememberValidation(key, [...diagnostics]);
  if (memo) {
    const files = new Map<string, WeakRef<object>>();
    for (const [file, parsed] of repo.files) files.set(file, new WeakRef(parsed));
    memo.last = { files, loadDiagnostics: JSON.stringify(repo.diagnostics), options, diagnostics };
  }
  return diagnostics;
}

function validateAll(repo: LoadedRepository, options: ValidateOptions): Diagnostic[] {
  const index = new StreamIndex(repo.objects, options.defaultNamespace);
  const findings: LocatedFinding[] = [];
  for (const object of repo.objects) if (object.kind === 'ImageStream') findings.push(...schemaFindings(object));
  findings.push(...validateStreams(repo.objects, { index, parseSchedule: parseCronSchedule }));
  findings.push(
    ...validateWorkloads(repo.objects, {
      index,
      triggerSchema: validateTriggersSchema,
      ...(options.workloadKinds ? { workloadKinds: options.workloadKinds } : {}),
    }),
  );
  findings.push(...validateMarkers(repo.markers, repo.objects, index));
  findings.push(...validateTagAnnotations(repo.objects));
  for (const k of repo.kustomizations)
    for (const f of validateKustomization(k, index)) findings.push({ ...f, file: k.file, document: k.document });
  const diagnostics = [...repo.diagnostics, ...findings.map((f) => placeFinding(repo.files, f))];
  return diagnostics.sort(compareDiagnostics);
}
