/**
 * Manifests: Docker schema 2, OCI image manifest, Docker manifest list, OCI index (schema 1 is recognised and
 * refused). Every body is checked against its digest; lists pick one child by platform (semantics.md §6.5).
 */
import { createHash } from 'node:crypto';
import type { Platform } from './types.js';

export const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
}

export type ParsedManifest =
  | { readonly kind: 'list'; readonly mediaType: string; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'image'; readonly mediaType: string; readonly config: Descriptor; readonly layers: readonly Descriptor[] }
  | { readonly kind: 'schema1'; readonly mediaType: string };

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly kind: 'digest-mismatch' | 'unsupported' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

/** `sha256:<hex>` of bytes, in the algorithm of `like` (sha256 unless it names sha384/sha512). */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const algorithm = like.slice(0, like.indexOf(':'));
  const algo = algorithm === 'sha512' || algorithm === 'sha384' ? algorithm : 'sha256';
  return `${algo}:${createHash(algo).update(bytes).digest('hex')}`;
}

export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const actual = digestOf(bytes, expected);
  if (actual !== expected) throw new ManifestError('digest-mismatch', `${what}: content digest ${actual} does not match ${expected}`);
}

const bare = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * What a Content-Type alone says a manifest is: a single image (Docker schema 2, OCI), a list (Docker list, OCI
 * index), or undefined when it cannot tell (schema 1, a generic type, none).
 */
export function manifestKindOfType(contentType: string | undefined): 'image' | 'list' | undefined {
  return kindOf(bare(contentType));
}

/** The kind of a media type as written (exact: a manifest's own `mediaType` is not case-folded). */
function kindOf(mediaType: string): 'image' | 'list' | undefined {
  switch (mediaType) {
    case mediaTypes.ociManifest:
    case mediaTypes.dockerManifest:
      return 'image';
    case mediaTypes.ociIndex:
    case mediaTypes.dockerList:
      return 'list';
    default:
      return undefined;
  }
}

function descriptor(value: unknown, where: string): Descriptor {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v.digest !== 'string' || !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(v.digest))
    throw new ManifestError('malformed', `${where}: a descriptor without a valid digest`);
  const p = v.platform as Record<string, unknown> | undefined;
  const platform =
    p && typeof p.os === 'string' && typeof p.architecture === 'string'
      ? { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}) }
      : undefined;
  return {
    mediaType: typeof v.mediaType === 'string' ? v.mediaType : '',
    digest: v.digest,
    size: typeof v.size === 'number' ? v.size : 0,
    ...(platform ? { platform } : {}),
  };
}

/** Classifies a manifest by its Content-Type, else its own mediaType, else its shape. */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    doc = parsed as Record<string, unknown>;
  } catch {
    throw new ManifestError('malformed', 'the manifest is not a JSON object');
  }
  let mediaType = bare(contentType);
  if (mediaType === '' || mediaType === 'application/json' || mediaType === 'text/plain' || mediaType === 'application/octet-stream') {
    mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  }
  if (mediaType === '') {
    if (doc.schemaVersion === 1) mediaType = mediaTypes.dockerSchema1;
    else if (Array.isArray(doc.manifests)) mediaType = mediaTypes.ociIndex;
    else if (doc.config !== undefined) mediaType = mediaTypes.ociManifest;
  }
  const kind = kindOf(mediaType);
  if (kind === 'list') {
    if (!Array.isArray(doc.manifests)) throw new ManifestError('malformed', 'a manifest list without "manifests"');
    return { kind: 'list', mediaType, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (kind === 'image') {
    const layers = Array.isArray(doc.layers) ? doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)) : [];
    return { kind: 'image', mediaType, config: descriptor(doc.config, 'config'), layers };
  }
  if (mediaType === mediaTypes.dockerSchema1 || mediaType === mediaTypes.dockerSchema1Signed) return { kind: 'schema1', mediaType };
  throw new ManifestError('unsupported', `unsupported manifest media type "${mediaType || 'unknown'}"`);
}

export const defaultPlatform: Platform = { os: 'linux', architecture: 'amd64' };

const known = (d: Descriptor): boolean => d.platform !== undefined && d.platform.os !== 'unknown' && d.platform.architecture !== 'unknown';

/**
 * Legacy import of a list (§6.5, §13.8): the prefer-arch/prefer-os annotations, else the configured platform,
 * else linux/amd64, else the first entry with a real platform (attestation entries are never chosen).
 */
export function choosePlatform(
  manifests: readonly Descriptor[],
  preferred: { os?: string | undefined; architecture?: string | undefined; variant?: string | undefined },
  configured: Platform = defaultPlatform,
): Descriptor | undefined {
  const matches =
    (want: { os: string; architecture: string; variant?: string | undefined }) =>
    (d: Descriptor): boolean =>
      d.platform !== undefined &&
      d.platform.os === want.os &&
      d.platform.architecture === want.architecture &&
      (want.variant === undefined || d.platform.variant === want.variant);
  const wanted = {
    os: preferred.os ?? configured.os,
    architecture: preferred.architecture ?? configured.architecture,
    variant: preferred.architecture ? preferred.variant : configured.variant,
  };
  return (
    manifests.find(matches(wanted)) ??
    manifests.find(matches({ os: wanted.os, architecture: wanted.architecture })) ??
    manifests.find(matches(defaultPlatform)) ??
    manifests.find(known) ??
    manifests[0]
  );
}
