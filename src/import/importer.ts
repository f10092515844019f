/**
 * `importImages(requests)`: resolve DockerImage references to images as OpenShift's importer does (semantics.md
 * §6.4–6.6, §6.9), at the lowest request cost: one HEAD per (registry, repository, reference) per call whatever
 * the import modes and platforms asked, a GET only for a digest not already known, each manifest and config fetched
 * once per digest, ever (the disk cache, which also shares the fetches in flight), identical sources resolved once
 * per call. Never throws for one image: every request gets an Observation.
 */
import {
  apiRegistryHost,
  dockerClientDefaults,
  exactReference,
  isDigest,
  mostSpecific,
  parseOpenShiftReference,
} from '../reconcile/reference.js';
import type { OpenShiftReference } from '../reconcile/reference.js';
import { prioritizeTags } from '../reconcile/tag-order.js';
import type { MetadataCache } from './cache.js';
import { choosePlatform, defaultPlatform, digestOf, ManifestError, manifestKindOfType, parseManifest, verifyDigest } from './manifest.js';
import type { Descriptor } from './manifest.js';
import { imageMetadata, layersOf } from './metadata.js';
import type { RegistryClient, Target } from './registry-client.js';
import { manifestAccept, RegistryError } from './registry-client.js';
import { DeferredError } from './rate-budget.js';
import { importFailure } from './failures.js';
import { distinctRequests } from './same-requests.js';
import type { RegistryMirror, RegistryPolicy } from './registry-policy.js';
import { policyRefusal, registryMatches } from './registry-policy.js';
import type {
  CheckObservation,
  ConfirmedImage,
  DockerImageMetadata,
  FullImportRequest,
  ImportDeferral,
  ImportedImage,
  ImportFailure,
  ImportMode,
  ImportRequest,
  Observation,
  Platform,
} from './types.js';

export interface ImporterOptions {
  readonly client: RegistryClient;
  readonly cache: MetadataCache;
  readonly platform?: Platform;
  readonly maxManifestBytes?: number;
  readonly maxConfigBytes?: number;
  readonly policy?: RegistryPolicy;
  readonly mirrors?: readonly RegistryMirror[];
  /** Imports run at once per registry host (default 32; a few times the client's concurrency per registry). */
  readonly tasksPerRegistry?: number;
}

/** What a network resolution yields, before it is dressed with the user's own reference. */
interface Resolved {
  readonly digest: string;
  readonly manifestMediaType: string;
  readonly metadata?: DockerImageMetadata;
  readonly layers: ImportedImage['layers'];
  readonly children?: ImportedImage['children'];
  readonly listDigest?: string;
  readonly platform?: Platform;
}

interface ParsedSource {
  readonly ref: OpenShiftReference;
  readonly target: Target;
  /** `docker.io/library/ruby:3.3`: what OpenShift's messages name. */
  readonly normalized: string;
  /** The tag or digest to ask the registry for. */
  readonly reference: string;
}

const fail = (failure: ImportFailure): Observation => ({ ok: false, failure });

/** A request the registry's budget did not send, as the core's deferral. */
const deferral = (err: DeferredError): ImportDeferral => ({
  code: err.code,
  registry: err.registry,
  message: err.message,
  retryAt: new Date(err.retryAtMs).toISOString(),
});

/** A known image the HEAD confirmed, before it is dressed with the user's own reference. */
type Confirmed = Omit<ConfirmedImage, 'dockerImageReference'>;

/** What resolving one source came to: the image, or why not. */
type Resolution = { readonly resolved: Resolved | Confirmed } | { readonly failure: ImportFailure } | { readonly deferred: ImportDeferral };

/**
 * What resolving a tag found: its digest and the Content-Type the registry stated, and the manifest itself when the
 * HEAD gave no digest and a GET was needed.
 */
interface TagDigest {
  readonly digest: string;
  readonly mediaType?: string | undefined;
  readonly manifest?: { readonly bytes: Buffer; readonly mediaType: string };
}

/** Tag resolutions of one `importImages` call, by target and reference: one HEAD each, whatever mode or platform asks. */
type TagResolutions = Map<string, Promise<TagDigest>>;

/** Who a fetch is made as: a failure is shared only within one scope (cache.ts). */
const scopeOf = (target: Target): string => JSON.stringify([target.host, target.repository, target.insecure, target.anonymous === true]);

export class Importer {
  constructor(private readonly options: ImporterOptions) {}

  /** Parses a `from.name` for the network: Docker defaults apply only here (§6.4). */
  parseSource(from: string, insecure: boolean): ParsedSource | ImportFailure {
    const parsed = parseOpenShiftReference(from);
    if (!parsed.ok || parsed.value.name === '') {
      const why = parsed.ok ? 'the reference names a registry but no repository' : parsed.error;
      return { kind: 'invalid', reason: 'Invalid', message: `from.name: Invalid value: "${from}": invalid name: ${why}` };
    }
    const ref = parsed.value;
    const d = dockerClientDefaults(ref);
    const host = apiRegistryHost(d.registry);
    const repository = d.namespace ? `${d.namespace}/${d.name}` : d.name;
    const normalized = exactReference(mostSpecific(d));
    const reference = d.id && isDigest(d.id) ? d.id : d.tag;
    const mirror = this.options.mirrors?.find((m) => registryMatches([m.registry], d.registry, host));
    if (mirror) {
      return {
        ref,
        target: { host: mirror.mirror, registry: mirror.mirror, repository, insecure: insecure || mirror.insecure === true },
        normalized,
        reference,
      };
    }
    return { ref, target: { host, registry: d.registry, repository, insecure }, normalized, reference };
  }

  /**
   * One observation per request, in order. Identical sources (same repository, reference, mode, platform) are
   * resolved once; a tag is resolved with one HEAD whatever modes and platforms ask for it.
   */
  importImages(requests: readonly FullImportRequest[]): Promise<Observation[]>;
  /** With `known` images: a request whose tag's HEAD confirms its known image gets that image back, read no further. */
  importImages(requests: readonly ImportRequest[]): Promise<CheckObservation[]>;
  async importImages(requests: readonly ImportRequest[]): Promise<CheckObservation[]> {
    const inflight = new Map<string, Promise<Resolution>>();
    const tags: TagResolutions = new Map();
    // Many tags follow one source: identical requests share one observation (the same object: read-only).
    const distinct = distinctRequests(requests);
    const { slots } = distinct;
    const unique = distinct.unique.map((request) => ({ request, source: this.parseSource(request.from, request.insecure) }));
    // A few imports at a time per registry (its requests are limited to `concurrency` anyway): starting all of them
    // at once held every pending import's state through the whole pass (10,000 tags: 100 MiB of old generation).
    const results: CheckObservation[] = new Array(unique.length);
    const byHost = new Map<string, number[]>();
    unique.forEach(({ source }, u) => {
      if (!('target' in source)) results[u] = fail(source);
      else {
        const list = byHost.get(source.target.host);
        if (list) list.push(u);
        else byHost.set(source.target.host, [u]);
      }
    });
    const width = Math.max(1, this.options.tasksPerRegistry ?? 32);
    const lanes = [...byHost.values()].flatMap((list) => {
      let next = 0;
      return Array.from({ length: Math.min(width, list.length) }, async () => {
        while (next < list.length) {
          const u = list[next++] as number;
          const { request, source } = unique[u] as { request: ImportRequest; source: ParsedSource };
          results[u] = await this.importOne(request, source, inflight, tags);
        }
      });
    });
    await Promise.all(lanes);
    return slots.map((u) => results[u] as CheckObservation);
  }

  private async importOne(
    request: ImportRequest,
    source: ParsedSource,
    inflight: Map<string, Promise<Resolution>>,
    tags: TagResolutions,
  ): Promise<CheckObservation> {
    const blocked = policyRefusal(this.options.policy, source.target, request.insecure);
    if (blocked) return fail(blocked);
    const platform = this.wantedPlatform(request);
    // Requests that differ only in how they name a source (`ruby` and `docker.io/library/ruby`) resolve it once.
    const key = JSON.stringify([
      source.target.host,
      source.target.repository,
      source.reference,
      request.importMode,
      request.insecure,
      platform,
      request.known ?? '',
    ]);
    let p = inflight.get(key);
    if (!p) {
      p = this.resolveWithFallback(source, request.importMode, platform, tags, request.known);
      inflight.set(key, p);
    }
    const result = await p;
    if ('failure' in result) return fail(result.failure);
    if ('deferred' in result) return { ok: false, deferred: result.deferred };
    const { resolved } = result;
    const dockerImageReference = exactReference(mostSpecific({ ...source.ref, id: resolved.digest }));
    const image: ImportedImage | ConfirmedImage = { ...resolved, dockerImageReference };
    return { ok: true, image };
  }

  /**
   * Like OpenShift (semantics.md §6.9): when credentials are refused as a wrong username or password, try once
   * without them (a public image stays importable); if that fails too, the original failure stands.
   */
  private async resolveWithFallback(
    source: ParsedSource,
    mode: ImportMode,
    platform: Platform,
    tags: TagResolutions,
    known: string | undefined,
  ): Promise<Resolution> {
    try {
      return { resolved: await this.resolve(source, mode, platform, false, tags, known) };
    } catch (err) {
      if (err instanceof DeferredError) return { deferred: deferral(err) };
      const failure = importFailure(err, source);
      if (!(err instanceof RegistryError) || err.details.credentialsRefused !== true) return { failure };
      try {
        return { resolved: await this.resolve(source, mode, platform, true, tags, known) };
      } catch (again) {
        return again instanceof DeferredError ? { deferred: deferral(again) } : { failure };
      }
    }
  }

  /**
   * The tags a whole-repository import takes (§6.12): every remote tag (an empty name is `latest`), in OpenShift's
   * priority order, the first `cap` of them (-1: all); the rest are `additionalTags`.
   */
  async repositoryTags(
    from: string,
    insecure: boolean,
    cap = 50,
  ): Promise<
    { ok: true; tags: string[]; additionalTags: string[] } | { ok: false; failure: ImportFailure } | { ok: false; deferred: ImportDeferral }
  > {
    const listed = await this.listTags(from, insecure);
    if (!listed.ok) return listed;
    const ordered = prioritizeTags(listed.tags);
    const n = cap < 0 ? ordered.length : cap;
    return { ok: true, tags: ordered.slice(0, n), additionalTags: ordered.slice(n) };
  }

  /** All tags of the repository a reference names, for whole-repository imports. */
  async listTags(
    from: string,
    insecure: boolean,
  ): Promise<{ ok: true; tags: string[] } | { ok: false; failure: ImportFailure } | { ok: false; deferred: ImportDeferral }> {
    const source = this.parseSource(from, insecure);
    if (!('target' in source)) return { ok: false, failure: source };
    const blocked = policyRefusal(this.options.policy, source.target, insecure);
    if (blocked) return { ok: false, failure: blocked };
    try {
      const tags = await this.options.client.listTags(source.target);
      return { ok: true, tags: tags.map((t) => (t === '' ? 'latest' : t)) };
    } catch (err) {
      if (err instanceof DeferredError) return { ok: false, deferred: deferral(err) };
      return { ok: false, failure: importFailure(err, { ...source, normalized: exactReference({ ...source.ref, tag: '', id: '' }) }) };
    }
  }

  private wantedPlatform(request: ImportRequest): Platform {
    const configured = this.options.platform ?? defaultPlatform;
    return {
      os: request.preferOs ?? configured.os,
      architecture: request.preferArch ?? configured.architecture,
      ...(request.preferArch === undefined && configured.variant ? { variant: configured.variant } : {}),
    };
  }

  private async resolve(
    source: ParsedSource,
    mode: ImportMode,
    platform: Platform,
    anonymous: boolean,
    tags: TagResolutions,
    known?: string,
  ): Promise<Resolved | Confirmed> {
    const target = anonymous ? { ...source.target, anonymous: true } : source.target;
    const { reference } = source;
    const { cache } = this.options;
    let digest: string;
    let manifest: { bytes: Buffer; mediaType: string } | undefined;
    if (isDigest(reference)) {
      digest = reference;
    } else {
      const key = JSON.stringify([scopeOf(target), reference]);
      let resolving = tags.get(key);
      if (!resolving) {
        resolving = this.tagDigest(target, reference);
        tags.set(key, resolving);
      }
      const tag = await resolving;
      ({ digest, manifest } = tag);
      if (known !== undefined) {
        const confirmed = await this.confirm(digest, tag.mediaType, mode, platform, known);
        if (confirmed) return confirmed;
      }
    }
    manifest ??= await this.manifest(target, digest);
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    if (parsed.kind === 'schema1')
      throw new ManifestError(
        'unsupported',
        'the image uses the Docker schema 1 manifest format, which is not supported; push it again with a current client',
      );
    if (parsed.kind === 'image')
      return { digest, manifestMediaType: parsed.mediaType, ...(await this.image(target, parsed.config, parsed.layers)) };

    if (mode === 'PreserveOriginal') {
      const children = [];
      for (const child of parsed.manifests) {
        if (!child.platform || child.platform.os === 'unknown') continue; // attestations are not images to run
        const childManifest = parseManifest((await this.manifest(target, child.digest)).bytes, child.mediaType);
        if (childManifest.kind !== 'image') throw new ManifestError('unsupported', `list entry ${child.digest} is not an image manifest`);
        const img = await this.image(target, childManifest.config, childManifest.layers);
        children.push({
          digest: child.digest,
          platform: child.platform,
          manifestMediaType: childManifest.mediaType,
          ...(img.metadata ? { metadata: img.metadata } : {}),
        });
      }
      return { digest, manifestMediaType: parsed.mediaType, layers: [], children };
    }

    // Legacy: one child, by platform; remembered so the next HEAD returning this list digest needs no GET.
    const childDigest = await cache.getResolved(digest, platform);
    let child: Descriptor | undefined = childDigest ? parsed.manifests.find((m) => m.digest === childDigest) : undefined;
    let chosen = false;
    if (!child) {
      child = choosePlatform(parsed.manifests, { os: platform.os, architecture: platform.architecture, variant: platform.variant });
      if (!child) throw new ManifestError('malformed', 'the manifest list is empty');
      chosen = true;
    }
    const childManifest = parseManifest((await this.manifest(target, child.digest)).bytes, child.mediaType);
    if (childManifest.kind !== 'image') throw new ManifestError('unsupported', `list entry ${child.digest} is not an image manifest`);
    const img = await this.image(target, childManifest.config, childManifest.layers);
    // Remembered only once the child imported: `confirm` takes a remembered child as one that imports.
    if (chosen) await cache.putResolved(digest, platform, child.digest);
    return {
      digest: child.digest,
      manifestMediaType: childManifest.mediaType,
      listDigest: digest,
      ...(child.platform ? { platform: child.platform } : {}),
      ...img,
    };
  }

  /**
   * Whether the tag's HEAD confirms the image the caller knew, so that a full import would give that same image: the
   * HEAD names it and says it is a single image (in either mode a single image imports as itself), or, in Legacy
   * mode, the HEAD names a list whose child for this platform was imported before and is the known image. Anything
   * else (a list in PreserveOriginal mode, a Content-Type that says nothing, schema 1) takes the full import.
   */
  private async confirm(
    digest: string,
    mediaType: string | undefined,
    mode: ImportMode,
    platform: Platform,
    known: string,
  ): Promise<Confirmed | undefined> {
    const kind = manifestKindOfType(mediaType);
    if (kind === 'image' && digest === known) return { confirmed: true, digest };
    if (kind === 'list' && mode === 'Legacy' && (await this.options.cache.getResolved(digest, platform)) === known) {
      return { confirmed: true, digest: known, listDigest: digest };
    }
    return undefined;
  }

  /** One HEAD resolves a tag; the body is fetched only when the registry states no digest. */
  private async tagDigest(target: Target, reference: string): Promise<TagDigest> {
    const head = await this.options.client.call(target, 'HEAD', `manifests/${reference}`, { accept: manifestAccept, maxBytes: 0 });
    const headerDigest = head.headers['docker-content-digest'];
    if (headerDigest && isDigest(headerDigest)) return { digest: headerDigest, mediaType: head.headers['content-type'] };
    const res = await this.options.client.call(target, 'GET', `manifests/${reference}`, {
      accept: manifestAccept,
      maxBytes: this.maxManifest,
    });
    const stated = res.headers['docker-content-digest'];
    const digest = stated && isDigest(stated) ? stated : digestOf(res.body);
    verifyDigest(res.body, digest, `manifest ${reference}`);
    const manifest = { bytes: res.body, mediaType: res.headers['content-type'] ?? '' };
    await this.options.cache.putManifest(digest, res.body, manifest.mediaType);
    return { digest, manifest };
  }

  private get maxManifest(): number {
    return this.options.maxManifestBytes ?? 4 * 1024 * 1024;
  }

  /** A manifest by digest: the cache, else one GET, verified (one GET per digest even when many ask at once). */
  private manifest(target: Target, digest: string): Promise<{ bytes: Buffer; mediaType: string }> {
    return this.options.cache.loadManifest(digest, scopeOf(target), async () => {
      const res = await this.options.client.call(target, 'GET', `manifests/${digest}`, {
        accept: manifestAccept,
        maxBytes: this.maxManifest,
      });
      verifyDigest(res.body, digest, `manifest ${digest}`);
      return { bytes: res.body, mediaType: res.headers['content-type'] ?? '' };
    });
  }

  private async image(
    target: Target,
    config: Descriptor,
    layerDescriptors: readonly Descriptor[],
  ): Promise<{ metadata: DockerImageMetadata; layers: ImportedImage['layers'] }> {
    const bytes = await this.options.cache.loadBlob(config.digest, scopeOf(target), async () => {
      const res = await this.options.client.call(target, 'GET', `blobs/${config.digest}`, {
        maxBytes: this.options.maxConfigBytes ?? 8 * 1024 * 1024,
      });
      verifyDigest(res.body, config.digest, `image config ${config.digest}`);
      return res.body;
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ManifestError('malformed', `image config ${config.digest} is not JSON`);
    }
    const layers = layersOf(layerDescriptors);
    return { metadata: imageMetadata(parsed, layers), layers };
  }
}
