import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The Accept list a client must always send (see design doc). */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export type ImageFormat = 'docker' | 'oci';

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface BuiltImage {
  format: ImageFormat;
  platform: Platform;
  config: Blob;
  /** Parsed config object (same content as config.data). */
  configJson: Record<string, unknown>;
  layers: Blob[];
  /** Uncompressed-tar digests, in layer order. */
  diffIds: string[];
  /** The manifest: mediaType, digest, size and the exact bytes to PUT. */
  manifest: Blob;
}

export interface BuiltIndex {
  format: ImageFormat;
  manifest: Blob;
  children: BuiltImage[];
}

export interface LayerFile {
  path: string;
  content: string | Buffer;
}

export interface ImageOptions {
  format?: ImageFormat;
  architecture?: string;
  os?: string;
  variant?: string;
  /** RFC 3339; default fixed 2024-01-01T00:00:00Z so builds are reproducible. */
  created?: string;
  author?: string;
  labels?: Record<string, string>;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  user?: string;
  /** e.g. ['8080/tcp'] */
  exposedPorts?: string[];
  /** Seed for deterministic layer content; different seeds give different digests. Default 'seed'. */
  seed?: string;
  /** Number of generated layers (default 1) — ignored when `files` is given. */
  layerCount?: number;
  /** Bytes of pseudo-random content per generated layer file (default 256). */
  layerSize?: number;
  /** Explicit layers: each entry is the file list of one layer. */
  files?: LayerFile[][];
  /** Manifest annotations (OCI) */
  annotations?: Record<string, string>;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function blobOf(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256(data), size: data.length, data };
}

/** Deterministic pseudo-random bytes from a seed (sha256 counter mode). */
export function seededBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let off = 0;
  for (let i = 0; off < length; i++) {
    const chunk = createHash('sha256').update(`${seed}/${i}`).digest();
    off += chunk.copy(out, off);
  }
  return out;
}

function writeField(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value.slice(0, length), offset, length, 'utf8');
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** A minimal, valid ustar archive of regular files (mtime 0, root owned). */
export function makeTar(files: LayerFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const content = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    const h = Buffer.alloc(512);
    writeField(h, 0, 100, f.path);
    writeField(h, 100, 8, octal(0o644, 8));
    writeField(h, 108, 8, octal(0, 8));
    writeField(h, 116, 8, octal(0, 8));
    writeField(h, 124, 12, octal(content.length, 12));
    writeField(h, 136, 12, octal(0, 12));
    h.fill(0x20, 148, 156);
    writeField(h, 156, 1, '0');
    writeField(h, 257, 6, 'ustar\0');
    writeField(h, 263, 2, '00');
    writeField(h, 265, 32, 'root');
    writeField(h, 297, 32, 'root');
    let sum = 0;
    for (const b of h) sum += b;
    writeField(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(h, content);
    const pad = (512 - (content.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface BuiltLayer {
  blob: Blob;
  diffId: string;
}

export function buildLayer(files: LayerFile[], format: ImageFormat = 'docker'): BuiltLayer {
  const tar = makeTar(files);
  const gz = gzipSync(tar, { level: 6 });
  return { blob: blobOf(format === 'oci' ? MEDIA.ociLayer : MEDIA.dockerLayer, gz), diffId: sha256(tar) };
}

function descriptor(b: Blob): { mediaType: string; size: number; digest: string } {
  return { mediaType: b.mediaType, size: b.size, digest: b.digest };
}

/** Build a single-platform image (config, layers, manifest) in memory. */
export function buildImage(opts: ImageOptions = {}): BuiltImage {
  const format = opts.format ?? 'docker';
  const platform: Platform = { architecture: opts.architecture ?? 'amd64', os: opts.os ?? 'linux' };
  if (opts.variant !== undefined) platform.variant = opts.variant;
  const seed = `${opts.seed ?? 'seed'}/${platform.os}/${platform.architecture}/${platform.variant ?? ''}`;
  const layerFiles: LayerFile[][] =
    opts.files ??
    Array.from({ length: opts.layerCount ?? 1 }, (_, i) => [
      { path: `layer${i}/data.bin`, content: seededBytes(`${seed}/${i}`, opts.layerSize ?? 256) },
    ]);
  const built = layerFiles.map((f) => buildLayer(f, format));
  const created = opts.created ?? '2024-01-01T00:00:00Z';

  const containerConfig: Record<string, unknown> = {
    Env: opts.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  };
  if (opts.labels) containerConfig.Labels = opts.labels;
  if (opts.entrypoint) containerConfig.Entrypoint = opts.entrypoint;
  if (opts.cmd) containerConfig.Cmd = opts.cmd;
  if (opts.workingDir !== undefined) containerConfig.WorkingDir = opts.workingDir;
  if (opts.user !== undefined) containerConfig.User = opts.user;
  if (opts.exposedPorts) containerConfig.ExposedPorts = Object.fromEntries(opts.exposedPorts.map((p) => [p, {}]));

  const configJson: Record<string, unknown> = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    created,
    ...(opts.author !== undefined ? { author: opts.author } : {}),
    config: containerConfig,
    rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) },
    history: built.map((_, i) => ({ created, created_by: `synthetic layer ${i} (${seed})` })),
  };
  const config = blobOf(format === 'oci' ? MEDIA.ociConfig : MEDIA.dockerConfig, Buffer.from(JSON.stringify(configJson)));
  const layers = built.map((l) => l.blob);
  const mediaType = format === 'oci' ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifestJson: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    config: descriptor(config),
    layers: layers.map(descriptor),
  };
  if (opts.annotations && format === 'oci') manifestJson.annotations = opts.annotations;
  const manifest = blobOf(mediaType, Buffer.from(JSON.stringify(manifestJson, null, 3)));
  return { format, platform, config, configJson, layers, diffIds: built.map((l) => l.diffId), manifest };
}

export interface IndexOptions {
  format?: ImageFormat;
  annotations?: Record<string, string>;
}

/** Build a multi-arch index (Docker manifest list or OCI index) over images. */
export function buildIndex(images: BuiltImage[], opts: IndexOptions = {}): BuiltIndex {
  const format = opts.format ?? images[0]?.format ?? 'docker';
  const mediaType = format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList;
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    manifests: images.map((img) => ({ ...descriptor(img.manifest), platform: { ...img.platform } })),
  };
  if (opts.annotations && format === 'oci') json.annotations = opts.annotations;
  return { format, manifest: blobOf(mediaType, Buffer.from(JSON.stringify(json, null, 3))), children: images };
}

/** Build a multi-arch index over the given platforms (same options for each child). */
export function buildMultiArch(platforms: Platform[], opts: ImageOptions & IndexOptions = {}): BuiltIndex {
  const images = platforms.map((p) => buildImage({ ...opts, architecture: p.architecture, os: p.os, variant: p.variant }));
  return buildIndex(images, opts);
}
