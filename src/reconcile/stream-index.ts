import { nameOf, objectNamespace } from './accessors.js';
import type { ManifestObject } from './objects.js';
import { holdsTemplateParameter } from './objects.js';

/** One ImageStream object with its effective namespace (metadata.namespace, else the configured default). */
export interface StreamEntry {
  readonly object: ManifestObject;
  readonly namespace: string;
  readonly name: string;
}

export type NameLookup<T> =
  | { readonly kind: 'found'; readonly entry: T }
  | { readonly kind: 'missing' }
  | { readonly kind: 'ambiguous'; readonly entries: readonly T[] };

export type StreamLookup = NameLookup<StreamEntry>;

/** The one wording for a stream name defined more than once, wherever a reference to it is resolved. */
export function ambiguousStream(namespace: string, name: string, count: number): string {
  return `the image stream ${namespace}/${name} is defined ${count} times in the repository; which one is meant is ambiguous`;
}

const missing: NameLookup<never> = Object.freeze({ kind: 'missing' });

/**
 * Anything addressed by namespace and name, where a name defined twice is ambiguous rather than silently the first
 * (validation, the planner and the workload rules all look streams up this way).
 */
export class ByName<T> {
  private readonly byKey = new Map<string, T[]>();
  /** The answer for each name, made on its first lookup (planning looks the same streams up many times). */
  private readonly answers = new Map<string, NameLookup<T>>();

  constructor(items: Iterable<T>, key: (item: T) => { readonly namespace: string; readonly name: string } | undefined) {
    for (const item of items) {
      const k = key(item);
      if (!k) continue;
      const id = `${k.namespace}/${k.name}`;
      const list = this.byKey.get(id);
      if (list) list.push(item);
      else this.byKey.set(id, [item]);
    }
  }

  lookup(namespace: string, name: string): NameLookup<T> {
    const id = `${namespace}/${name}`;
    let answer = this.answers.get(id);
    if (answer === undefined) {
      const list = this.byKey.get(id);
      answer =
        !list || list.length === 0
          ? missing
          : list.length > 1
            ? { kind: 'ambiguous', entries: list }
            : { kind: 'found', entry: list[0] as T };
      this.answers.set(id, answer);
    }
    return answer;
  }

  /** Every namespace/name defined more than once, in a stable order. */
  duplicates(): Array<readonly T[]> {
    return [...this.byKey.entries()]
      .filter(([, list]) => list.length > 1)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, list]) => list);
  }
}

/**
 * The streams of the repository by namespace and name. Streams defined inside Templates, or whose name or
 * namespace is a template parameter, are not addressable until the template is processed, so they are left out.
 */
export class StreamIndex {
  private readonly entries: ByName<StreamEntry>;

  constructor(
    objects: readonly ManifestObject[],
    readonly defaultNamespace: string,
  ) {
    const entries: StreamEntry[] = [];
    for (const object of objects) {
      if (object.kind !== 'ImageStream' || object.template) continue;
      const name = nameOf(object.value);
      if (name === undefined || name === '' || holdsTemplateParameter(name)) continue;
      entries.push({ object, namespace: objectNamespace(object, defaultNamespace), name });
    }
    this.entries = new ByName(entries, (e) => e);
  }

  lookup(namespace: string, name: string): StreamLookup {
    return this.entries.lookup(namespace, name);
  }

  duplicates(): Array<readonly StreamEntry[]> {
    return this.entries.duplicates();
  }
}

export function describeEntry(entry: StreamEntry): string {
  const { file, pointer } = entry.object.location;
  return pointer === '' ? file : `${file}#${pointer}`;
}
