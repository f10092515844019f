/** The streams a pass's workload rules resolve against: found by namespace/name, read once, with reconcile.imagePullers. */
import { specOf, specTagsOf, statusOf, statusTagsOf } from './accessors.js';
import type { NamedTagEventList, TagReference } from './model.js';
import { isRecord } from './objects.js';
import { ambiguousStream, ByName } from './stream-index.js';
import type { ResolvedStream, WorkloadOptions, WorkloadSkipCode } from './workload-types.js';

/** What the workload rules read of a stream. */
export interface StreamParts {
  readonly spec: readonly TagReference[];
  readonly status: readonly NamedTagEventList[];
  readonly repo: string;
  readonly lookup: boolean;
}

export class StreamTable {
  private readonly byName: ByName<ResolvedStream>;
  /** Read once per stream: its status list keeps its tag index (accessors.ts) across every trigger that uses it. */
  private readonly parts = new Map<ResolvedStream, StreamParts>();
  constructor(
    streams: readonly ResolvedStream[],
    private readonly options: WorkloadOptions,
  ) {
    this.byName = new ByName(streams, (s) => s);
  }

  partsOf(s: ResolvedStream): StreamParts {
    let p = this.parts.get(s);
    if (p === undefined) {
      const spec = specOf(s.value);
      const status = statusOf(s.value);
      p = {
        spec: specTagsOf(s.value),
        status: statusTagsOf(s.value),
        repo: typeof status.dockerImageRepository === 'string' ? status.dockerImageRepository : '',
        lookup: isRecord(spec.lookupPolicy) && spec.lookupPolicy.local === true,
      };
      this.parts.set(s, p);
    }
    return p;
  }

  find(
    namespace: string,
    name: string,
    consumer: string,
  ): { stream: ResolvedStream } | { skip: string; code: WorkloadSkipCode } | undefined {
    const found = this.byName.lookup(namespace, name);
    if (found.kind === 'missing') return undefined;
    if (found.kind === 'ambiguous') return { skip: ambiguousStream(namespace, name, found.entries.length), code: 'ambiguous-stream' };
    if (namespace !== consumer) {
      const allowed = this.options.imagePullers?.get(namespace);
      if (allowed && !allowed.includes('*') && !allowed.includes(consumer)) {
        return {
          skip: `cross-namespace reference not allowed: namespace ${consumer} may not use image streams of ${namespace} (reconcile.imagePullers)`,
          code: 'cross-namespace-not-allowed',
        };
      }
    }
    return { stream: found.entry };
  }
}
