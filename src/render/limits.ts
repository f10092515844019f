/** Guards against inputs that would exhaust time or memory. Each has a clear diagnostic when exceeded. */
export interface LoadLimits {
  /** Largest file read, in bytes (default 10 MiB). */
  readonly maxFileBytes: number;
  /** Most alias expansions a YAML document may perform (yaml's maxAliasCount; default 100). */
  readonly maxAliasCount: number;
  /** Deepest nesting of mappings and sequences (default 100; Kubernetes objects rarely pass 20). */
  readonly maxDepth: number;
}

export const defaultLoadLimits: LoadLimits = {
  maxFileBytes: 10 * 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 100,
};
