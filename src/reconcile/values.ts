/**
 * Plain-value helpers the core and the render layer share: JSON pointers (RFC 6901) and structural equality of
 * parsed YAML/JSON values (YAML 1.1 timestamps arrive as Dates; keys whose value is undefined do not count).
 */

export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(base: string, key: string | number): string {
  return `${base}/${pointerSegment(key)}`;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether a pointer segment is an array index as RFC 6901 writes one (no sign, no leading zero). */
export const isIndexSegment = (segment: string): boolean => /^(0|[1-9][0-9]*)$/.test(segment);

/** What a pointer names in a plain value: through own keys and existing indexes only (`found` false otherwise). */
export function valueAtPointer(root: unknown, pointer: string): { readonly found: boolean; readonly value?: unknown } {
  let v = root;
  for (const seg of parsePointer(pointer)) {
    if (Array.isArray(v)) {
      if (!isIndexSegment(seg) || Number(seg) >= v.length) return { found: false };
      v = v[Number(seg)];
    } else if (typeof v === 'object' && v !== null && Object.hasOwn(v, seg)) v = (v as Record<string, unknown>)[seg];
    else return { found: false };
  }
  return { found: true, value: v };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((c, i) => c === y[i]);
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    return [...a].every(([k, v]) => b.has(k) && deepEqual(v, b.get(k)));
  }
  if (a instanceof Set || b instanceof Set) {
    return a instanceof Set && b instanceof Set && a.size === b.size && [...a].every((x) => b.has(x));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}

/**
 * A deep copy of a parsed value that keeps none of the sharing YAML aliases create, so editing one place never edits
 * another: plain objects and arrays are copied key by key, Dates are new Dates, Maps, Sets and typed arrays go
 * through structuredClone, every other value is kept as is. Five times faster than structuredClone on the many small
 * objects of a stream's status, which a pass copies for every stream. A `__proto__` key stays an own key, as the
 * parser made it. The core's copies and the renderer's reference values both use it.
 */
export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = cloneValue((value as Record<string, unknown>)[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out as T;
}
