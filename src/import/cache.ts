/**
 * The content-addressed metadata cache: manifests and config blobs by digest, and which child a list digest
 * resolved to for a platform. Images are immutable, so an entry is valid forever; every read is verified against
 * its digest (a damaged file is a miss, never a wrong answer). Writes go to a temporary file and are renamed into
 * place, so concurrent writers and crashes never leave a partial entry. Never inside the repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { digestOf } from './manifest.js';
import type { Platform } from './types.js';

export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'imagestreams');
}

const safeDigest = (digest: string): [string, string] | undefined => {
  const m = /^(sha256|sha384|sha512):([a-f0-9]{64,128})$/.exec(digest);
  return m ? [m[1] as string, m[2] as string] : undefined;
};

export interface CachedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
}

/**
 * Entries kept in memory besides the disk (small ones only), so a pass over unchanged tags reads no files: at most
 * this many entries and this many bytes in all (4,096 configs of 50 KiB each would otherwise hold 200 MiB).
 */
const memoryEntries = 4096;
const memoryBytes = 16 << 20;
const memoryEntryBytes = 1 << 20;
const sizeOf = (v: Buffer | string): number => (typeof v === 'string' ? v.length * 2 : v.length);

/** A fetch in flight for one digest, and who asked: a failure is shared only with callers of the same scope. */
interface Pending {
  readonly scope: string;
  readonly promise: Promise<unknown>;
}

export class MetadataCache {
  private readonly memory = new Map<string, Buffer | string>();
  private memoryHeld = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(readonly dir: string | undefined) {}

  private remember(key: string, value: Buffer | string): void {
    if (typeof value !== 'string' && value.length > memoryEntryBytes) return;
    const old = this.memory.get(key);
    if (old !== undefined) this.memoryHeld -= sizeOf(old);
    this.memory.delete(key);
    this.memory.set(key, value);
    this.memoryHeld += sizeOf(value);
    while (this.memory.size > memoryEntries || this.memoryHeld > memoryBytes) {
      const [oldest, v] = this.memory.entries().next().value as [string, Buffer | string];
      this.memory.delete(oldest);
      this.memoryHeld -= sizeOf(v);
    }
  }

  private blobPath(digest: string): string | undefined {
    const parts = safeDigest(digest);
    return parts && this.dir ? path.join(this.dir, 'blobs', parts[0], parts[1]) : undefined;
  }

  private async writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, data);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Verified bytes of a blob, or undefined. */
  async getBlob(digest: string): Promise<Buffer | undefined> {
    const inMemory = this.memory.get(`blob:${digest}`);
    if (typeof inMemory !== 'string' && inMemory !== undefined) return inMemory;
    const file = this.blobPath(digest);
    if (!file) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    if (digestOf(bytes, digest) !== digest) {
      await rm(file, { force: true });
      return undefined;
    }
    this.remember(`blob:${digest}`, bytes);
    return bytes;
  }

  async putBlob(digest: string, bytes: Uint8Array): Promise<void> {
    if (digestOf(bytes, digest) === digest) this.remember(`blob:${digest}`, Buffer.from(bytes));
    const file = this.blobPath(digest);
    if (!file) return;
    try {
      await this.writeAtomic(file, bytes);
    } catch {
      // A cache that cannot be written costs requests, never correctness.
    }
  }

  async getManifest(digest: string): Promise<CachedManifest | undefined> {
    const bytes = await this.getBlob(digest);
    if (!bytes) return undefined;
    const known = this.memory.get(`type:${digest}`);
    if (typeof known === 'string') return { bytes, mediaType: known };
    const file = this.blobPath(digest);
    let mediaType = '';
    try {
      mediaType = (await readFile(`${file}.type`, 'utf8')).trim();
    } catch {
      // The body's own mediaType or shape decides.
    }
    this.remember(`type:${digest}`, mediaType);
    return { bytes, mediaType };
  }

  async putManifest(digest: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    this.remember(`type:${digest}`, mediaType);
    if (digestOf(bytes, digest) === digest) this.remember(`blob:${digest}`, Buffer.from(bytes));
    const file = this.blobPath(digest);
    if (!file) return;
    try {
      await this.writeAtomic(`${file}.type`, mediaType);
      await this.writeAtomic(file, bytes);
    } catch {
      // See putBlob.
    }
  }

  /**
   * The verified manifest with this digest: the cache, else `fetch` (which verifies), stored. Concurrent callers
   * for one digest share one fetch, whatever repository or import asks (see `load`).
   */
  loadManifest(digest: string, scope: string, fetch: () => Promise<CachedManifest>): Promise<CachedManifest> {
    return this.load(
      `manifest:${digest}`,
      scope,
      () => this.getManifest(digest),
      async () => {
        const fetched = await fetch();
        await this.putManifest(digest, fetched.bytes, fetched.mediaType);
        return fetched;
      },
    );
  }

  /** The verified blob (an image config) with this digest: the cache, else `fetch` (which verifies), stored; shared as `loadManifest`. */
  loadBlob(digest: string, scope: string, fetch: () => Promise<Buffer>): Promise<Buffer> {
    return this.load(
      `blob:${digest}`,
      scope,
      () => this.getBlob(digest),
      async () => {
        const bytes = await fetch();
        await this.putBlob(digest, bytes);
        return bytes;
      },
    );
  }

  /**
   * One read-or-fetch per key at a time: the first caller registers its promise before anything is awaited, so
   * every concurrent caller joins it; the entry is dropped when it settles (a failure is never remembered, the next
   * caller fetches again). A failure reaches the callers of the same `scope` (the same repository and access: the
   * same request would fail the same way); a caller of another scope (another repository, other credentials) tries
   * for itself, since a 404 or a refusal there says nothing about its own access.
   */
  private async load<T>(key: string, scope: string, read: () => Promise<T | undefined>, fetch: () => Promise<T>): Promise<T> {
    const joined = this.pending.get(key);
    if (joined) {
      try {
        return (await joined.promise) as T;
      } catch (err) {
        if (joined.scope === scope) throw err;
      }
      const again = this.pending.get(key);
      if (again?.scope === scope) return (await again.promise) as T;
      if (again) return this.run(undefined, read, fetch);
    }
    return this.run(key, read, fetch, scope);
  }

  private run<T>(key: string | undefined, read: () => Promise<T | undefined>, fetch: () => Promise<T>, scope = ''): Promise<T> {
    const promise = (async () => (await read()) ?? (await fetch()))();
    if (key !== undefined) {
      const entry: Pending = { scope, promise };
      this.pending.set(key, entry);
      const settle = (): void => {
        if (this.pending.get(key) === entry) this.pending.delete(key);
      };
      promise.then(settle, settle);
    }
    return promise;
  }

  private resolvedPath(listDigest: string, platform: Platform): string | undefined {
    const parts = safeDigest(listDigest);
    const name = [platform.os, platform.architecture, platform.variant ?? ''].join('_').replace(/[^a-zA-Z0-9_.-]/g, '-');
    return parts && this.dir ? path.join(this.dir, 'resolved', parts[0], parts[1], name) : undefined;
  }

  /** The child digest a list resolved to for the wanted platform, if remembered. */
  async getResolved(listDigest: string, platform: Platform): Promise<string | undefined> {
    const key = `resolved:${listDigest}:${platform.os}/${platform.architecture}/${platform.variant ?? ''}`;
    const inMemory = this.memory.get(key);
    if (typeof inMemory === 'string') return inMemory;
    const file = this.resolvedPath(listDigest, platform);
    if (!file) return undefined;
    try {
      const digest = (await readFile(file, 'utf8')).trim();
      if (safeDigest(digest)) this.remember(key, digest);
      return safeDigest(digest) ? digest : undefined;
    } catch {
      return undefined;
    }
  }

  async putResolved(listDigest: string, platform: Platform, childDigest: string): Promise<void> {
    this.remember(`resolved:${listDigest}:${platform.os}/${platform.architecture}/${platform.variant ?? ''}`, childDigest);
    const file = this.resolvedPath(listDigest, platform);
    if (!file) return;
    try {
      await this.writeAtomic(file, childDigest);
    } catch {
      // See putBlob.
    }
  }
}
