import { validateDetailed } from 'node-cron';
import type { ParsedFields } from 'node-cron';
import type { DiagnosticCode } from '../reconcile/codes.js';
import type { ScheduleParser } from '../reconcile/due.js';
import { finding } from '../reconcile/codes.js';
import type { LocatedFinding, ManifestObject } from '../reconcile/objects.js';
import { holdsTemplateParameter, isRecord, locate } from '../reconcile/objects.js';
import { StreamIndex } from '../reconcile/stream-index.js';
import { validateStreams } from '../reconcile/validate-streams.js';
import { validateWorkloads } from '../reconcile/validate-workloads.js';
import type { Diagnostic } from './diagnostic.js';
import { compareDiagnostics } from './diagnostic.js';
import { parsePointer } from './positions.js';
import type { LoadedRepository } from './repository.js';
import { placeFinding } from './repository.js';
import { validateImageStreamSchema, validateTriggersSchema } from './schemas.js';

export interface ValidateOptions {
  /** Namespace of objects that name none (what `oc apply` without `-n` would use). */
  readonly defaultNamespace: string;
}

function valueAt(value: unknown, pointer: string): unknown {
  let v = value;
  for (const key of parsePointer(pointer)) {
    if (Array.isArray(v)) v = v[Number(key)];
    else if (isRecord(v)) v = v[key];
    else return undefined;
  }
  return v;
}

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

const dayMs = 86_400_000;
const lastDayOfMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** node-cron's day-of-month tokens: a day, `L`, `L-n`, `nW` / `LW` (the weekday nearest to that day). */
function dayOfMonthMatches(field: ParsedFields['dayOfMonth'], year: number, month: number, day: number): boolean {
  const last = lastDayOfMonth(year, month);
  return field.some((v) => {
    if (v === day) return true;
    if (typeof v !== 'string') return false;
    if (v === 'L') return day === last;
    const near = /^(\d{1,2}|L)W$/.exec(v);
    if (near) {
      const target = near[1] === 'L' ? last : Number(near[1]);
      if (target < 1 || target > last) return false;
      const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
      const nearest =
        weekday === 6 ? (target === 1 ? 3 : target - 1) : weekday === 0 ? (target === last ? target - 2 : target + 1) : target;
      return nearest === day;
    }
    const offset = /^L-(\d{1,2})$/.exec(v);
    return offset !== null && last - Number(offset[1]) >= 1 && last - Number(offset[1]) === day;
  });
}

/** node-cron's day-of-week tokens: a weekday (0 = Sunday), `nL` (the last one of the month), `n#k` (the k-th). */
function dayOfWeekMatches(field: ParsedFields['dayOfWeek'], year: number, month: number, day: number): boolean {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return field.some((v) => {
    if (v === weekday) return true;
    if (typeof v !== 'string') return false;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth) return Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2]);
    const lastOf = /^([0-7])L$/i.exec(v);
    return lastOf !== null && Number(lastOf[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month);
  });
}

/** The first time of the fields strictly after `afterMs` (whole seconds, UTC), looking up to 100 years ahead. */
function nextOccurrence(fields: ParsedFields, afterMs: number): number | undefined {
  const asc = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  const times = asc(fields.hour).flatMap((h) => asc(fields.minute).flatMap((m) => asc(fields.second).map((s) => h * 3600 + m * 60 + s)));
  const from = Math.floor(afterMs / 1000) * 1000 + 1000;
  let dayStart = Math.floor(from / dayMs) * dayMs;
  for (let i = 0; i < 366 * 100; i += 1, dayStart += dayMs) {
    const date = new Date(dayStart);
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (
      !fields.month.includes(month) ||
      !dayOfMonthMatches(fields.dayOfMonth, year, month, day) ||
      !dayOfWeekMatches(fields.dayOfWeek, year, month, day)
    )
      continue;
    const lower = i === 0 ? (from - dayStart) / 1000 : 0;
    const second = times.find((t) => t >= lower);
    if (second !== undefined) return dayStart + second * 1000;
  }
  return undefined;
}

/**
 * `imagestreams.dev/import-schedule`, as node-cron 4 reads a cron expression (5 fields, or 6 with seconds first;
 * names, ranges, steps, `L`, `W`, `#`, `@daily`; both day fields must match), evaluated in UTC. A schedule that
 * would fire more than once a minute is refused, as an interval under a minute is. Injected into the core.
 */
export const parseCronSchedule: ScheduleParser = (expression) => {
  let result: ReturnType<typeof validateDetailed>;
  try {
    result = validateDetailed(expression);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const fields = result.fields;
  if (!result.valid || !fields) return { ok: false, error: result.errors.map((e) => e.message).join('; ') || 'not a cron expression' };
  if (fields.second.length > 1) return { ok: false, error: 'it fires more than once a minute (imports are checked at most once a minute)' };
  return { ok: true, schedule: { next: (afterMs) => nextOccurrence(fields, afterMs) } };
};

/** Every rule over a loaded repository: schema, streams, workloads. Returns all diagnostics, sorted. */
export function validateRepository(repo: LoadedRepository, options: ValidateOptions): Diagnostic[] {
  const index = new StreamIndex(repo.objects, options.defaultNamespace);
  const findings: LocatedFinding[] = [];
  for (const object of repo.objects) if (object.kind === 'ImageStream') findings.push(...schemaFindings(object));
  findings.push(...validateStreams(repo.objects, { index, parseSchedule: parseCronSchedule }));
  findings.push(...validateWorkloads(repo.objects, { index, triggerSchema: validateTriggersSchema }));
  const diagnostics = [...repo.diagnostics, ...findings.map((f) => placeFinding(repo.files, f))];
  return diagnostics.sort(compareDiagnostics);
}
