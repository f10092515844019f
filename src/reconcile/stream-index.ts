import type { ManifestObject } from './objects.js';
import { holdsTemplateParameter, isRecord } from './objects.js';

/** One ImageStream object with its effective namespace (metadata.namespace, else the configured default). */
export interface StreamEntry {
  readonly object: ManifestObject;
  readonly namespace: string;
  readonly name: string;
}

export type StreamLookup =
  | { readonly kind: 'found'; readonly entry: StreamEntry }
  | { readonly kind: 'missing' }
  | { readonly kind: 'ambiguous'; readonly entries: readonly StreamEntry[] };

export function objectNamespace(object: ManifestObject, defaultNamespace: string): string {
  const metadata = object.value.metadata;
  const ns = isRecord(metadata) ? metadata.namespace : undefined;
  return typeof ns === 'string' && ns !== '' ? ns : defaultNamespace;
}

/**
 * The streams of the repository by namespace and name. Streams defined inside Templates, or whose name or
 * namespace is a template parameter, are not addressable until the template is processed, so they are left out.
 */
export class StreamIndex {
  private readonly byKey = new Map<string, StreamEntry[]>();

  constructor(objects: readonly ManifestObject[], readonly defaultNamespace: string) {
    for (const object of objects) {
      if (object.kind !== 'ImageStream' || object.template) continue;
      const metadata = object.value.metadata;
      const name = isRecord(metadata) ? metadata.name : undefined;
      if (typeof name !== 'string' || name === '' || holdsTemplateParameter(name)) continue;
      const namespace = objectNamespace(object, defaultNamespace);
      const key = `${namespace}/${name}`;
      const list = this.byKey.get(key) ?? [];
      list.push({ object, namespace, name });
      this.byKey.set(key, list);
    }
  }

  lookup(namespace: string, name: string): StreamLookup {
    const list = this.byKey.get(`${namespace}/${name}`);
    if (!list || list.length === 0) return { kind: 'missing' };
    if (list.length > 1) return { kind: 'ambiguous', entries: list };
    return { kind: 'found', entry: list[0] as StreamEntry };
  }

  /** Every namespace/name defined more than once, in a stable order. */
  duplicates(): Array<readonly StreamEntry[]> {
    return [...this.byKey.entries()]
      .filter(([, list]) => list.length > 1)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, list]) => list);
  }
}

/** Tag names a stream knows: those in spec and those in status (a pushed tag may exist only in status). */
export function streamTagNames(stream: Readonly<Record<string, unknown>>): Set<string> {
  const names = new Set<string>();
  const spec = stream.spec;
  const status = stream.status;
  if (isRecord(spec) && Array.isArray(spec.tags)) {
    for (const t of spec.tags) if (isRecord(t) && typeof t.name === 'string') names.add(t.name);
  }
  if (isRecord(status) && Array.isArray(status.tags)) {
    for (const t of status.tags) if (isRecord(t) && typeof t.tag === 'string') names.add(t.tag);
  }
  return names;
}

export function describeEntry(entry: StreamEntry): string {
  const { file, pointer } = entry.object.location;
  return pointer === '' ? file : `${file}#${pointer}`;
}
