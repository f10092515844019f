import { valueAtPointer } from '../reconcile/values.js';
import { pointerSegment } from './positions.js';
/**
 * JSON Schema checks for ImageStream objects (`schemas/imagestream.schema.json`) and for the value of the
 * `image.openshift.io/triggers` annotation (`schemas/triggers.schema.json`). The schemas are read from the project's
 * `schemas/` directory (next to `src/` and `dist/`), compiled once on first use, and their errors are turned into
 * short findings: an RFC 6901 pointer, the ajv keyword and a human-readable message that does not repeat the path.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject, Format, ValidateFunction } from 'ajv';
import addFormatsMod from 'ajv-formats';

export interface SchemaFinding {
  /** JSON pointer (RFC 6901) of the offending value; for an unknown field, of the unknown key; for a missing field, of its parent object. */
  readonly pointer: string;
  /** The ajv keyword that failed (`type`, `enum`, `const`, `required`, `additionalProperties`, `format`, ...). */
  readonly keyword: string;
  readonly message: string;
}

const addFormats = addFormatsMod.default;

/** How Go's time.Parse(time.RFC3339, …) (metav1.Time) spells a time: upper-case T and Z, no space separator. */
const rfc3339Go = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A string check out of whatever shape an ajv format has. */
function formatCheck(format: Format): (value: string) => boolean {
  if (format === true) return () => true;
  if (typeof format === 'string') {
    const re = new RegExp(format, 'u');
    return (v) => re.test(v);
  }
  if (format instanceof RegExp) return (v) => format.test(v);
  if (typeof format === 'function') return (v) => format(v) === true;
  const inner = format.validate;
  if (inner instanceof RegExp) return (v) => inner.test(v);
  if (typeof inner === 'string') {
    const re = new RegExp(inner, 'u');
    return (v) => re.test(v);
  }
  return (v) => (inner as (value: string) => unknown)(v) === true;
}

interface Compiled {
  readonly imageStream: ValidateFunction;
  readonly triggers: ValidateFunction;
}

let compiled: Compiled | undefined;

function loadSchema(file: string): object {
  return JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as object;
}

function schemas(): Compiled {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true });
  // ajv-formats' full date-time check (calendar and clock ranges, time zone required), narrowed to what Kubernetes'
  // metav1.Time accepts: RFC 3339 with an upper-case "T" separator and "Z" (ajv-formats also takes "t" and a space).
  const dateTime = formatCheck(addFormats.get('date-time', 'full'));
  ajv.addFormat('date-time', { type: 'string', validate: (v: string) => rfc3339Go.test(v) && dateTime(v) });
  compiled = {
    imageStream: ajv.compile(loadSchema('imagestream.schema.json')),
    triggers: ajv.compile(loadSchema('triggers.schema.json')),
  };
  return compiled;
}

function article(type: string): string {
  switch (type) {
    case 'null':
      return 'null';
    case 'integer':
    case 'object':
    case 'array':
      return `an ${type}`;
    default:
      return `a ${type}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return article(typeof value);
}

function listValues(values: readonly unknown[]): string {
  const mixed = values.some((v) => typeof v !== 'string');
  return values.map((v) => (typeof v === 'string' && !mixed && v !== '' ? v : JSON.stringify(v))).join(', ');
}

function toFinding(e: ErrorObject, root: unknown): SchemaFinding {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return { pointer: `${e.instancePath}/${pointerSegment(key)}`, keyword: e.keyword, message: `unknown field "${key}"` };
    }
    case 'required':
      return { pointer: e.instancePath, keyword: e.keyword, message: `missing required field "${String(params.missingProperty)}"` };
    case 'type': {
      const types = Array.isArray(params.type) ? (params.type as unknown[]).map(String) : String(params.type).split(',');
      return {
        pointer: e.instancePath,
        keyword: e.keyword,
        message: `must be ${types.map(article).join(' or ')}, not ${describeValue(valueAtPointer(root, e.instancePath).value)}`,
      };
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? (params.allowedValues as unknown[]) : [];
      return { pointer: e.instancePath, keyword: e.keyword, message: `must be one of: ${listValues(allowed)}` };
    }
    case 'const':
      return { pointer: e.instancePath, keyword: e.keyword, message: `must be ${listValues([params.allowedValue])}` };
    case 'format':
      return {
        pointer: e.instancePath,
        keyword: e.keyword,
        message:
          params.format === 'date-time'
            ? 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z'
            : `must be a valid ${String(params.format)}`,
      };
    default:
      return { pointer: e.instancePath, keyword: e.keyword, message: e.message ?? 'is invalid' };
  }
}

function comparePointers(a: string, b: string): number {
  const as = a === '' ? [] : a.slice(1).split('/');
  const bs = b === '' ? [] : b.slice(1).split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i] as string;
    const y = bs[i] as string;
    if (x === y) continue;
    const numeric = /^\d+$/;
    if (numeric.test(x) && numeric.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}

function compareFindings(a: SchemaFinding, b: SchemaFinding): number {
  return (
    comparePointers(a.pointer, b.pointer) ||
    (a.keyword < b.keyword ? -1 : a.keyword > b.keyword ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

function run(validate: ValidateFunction, value: unknown): readonly SchemaFinding[] {
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  // A value of the wrong type also fails its enum/format/... checks; only the type error says something useful.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: SchemaFinding[] = [];
  for (const e of errors) {
    if (e.keyword !== 'type' && e.keyword !== 'additionalProperties' && e.keyword !== 'required' && wrongType.has(e.instancePath)) continue;
    const f = toFinding(e, value);
    const key = `${f.pointer}\u0000${f.keyword}\u0000${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out.sort(compareFindings);
}

/** Schema findings for one ImageStream object (already parsed), sorted by pointer; empty when it is valid. */
export function validateImageStreamSchema(obj: unknown): readonly SchemaFinding[] {
  return run(schemas().imageStream, obj);
}

/** Schema findings for the parsed value of an `image.openshift.io/triggers` annotation, sorted by pointer. */
export function validateTriggersSchema(value: unknown): readonly SchemaFinding[] {
  return run(schemas().triggers, value);
}
