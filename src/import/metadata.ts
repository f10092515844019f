/** An image config blob → what OpenShift shows as `dockerImageMetadata` (semantics.md §6.7, `oc describe istag`). */
import type { DockerImageMetadata, ImageLayer } from './types.js';
import type { Descriptor } from './manifest.js';

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function layersOf(layers: readonly Descriptor[]): ImageLayer[] {
  return layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType }));
}

/** Builds metadata from the parsed config; unknown or missing fields are left out, never invented. */
export function imageMetadata(config: unknown, layers: readonly ImageLayer[]): DockerImageMetadata {
  const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const inner = (typeof c.config === 'object' && c.config !== null ? c.config : {}) as Record<string, unknown>;
  const labels = inner.Labels;
  const ports = inner.ExposedPorts;
  const cfg: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) cfg[k] = v;
  };
  put('Cmd', strings(inner.Cmd));
  put('Entrypoint', strings(inner.Entrypoint));
  put('Env', strings(inner.Env));
  put('ExposedPorts', typeof ports === 'object' && ports !== null ? ports : undefined);
  put(
    'Labels',
    typeof labels === 'object' && labels !== null
      ? Object.fromEntries(Object.entries(labels as Record<string, unknown>).filter(([, v]) => typeof v === 'string'))
      : undefined,
  );
  put('User', str(inner.User));
  put('WorkingDir', str(inner.WorkingDir));
  // Size as OpenShift reports it: the sum of the (compressed) layer sizes.
  const size = layers.reduce((n, l) => n + l.size, 0);
  return {
    ...(str(c.architecture) ? { Architecture: str(c.architecture) } : {}),
    ...(str(c.os) ? { Os: str(c.os) } : {}),
    ...(str(c.variant) ? { Variant: str(c.variant) } : {}),
    ...(str(c.created) ? { Created: str(c.created) } : {}),
    ...(str(c.author) ? { Author: str(c.author) } : {}),
    ...(Object.keys(cfg).length > 0 ? { Config: cfg as DockerImageMetadata['Config'] } : {}),
    Size: size,
  };
}
