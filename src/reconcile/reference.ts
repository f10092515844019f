/**
 * Image reference grammars (semantics.md §2).
 *
 * Two parsers live here, because OpenShift and the Docker ecosystem disagree and both matter:
 * - `parseOpenShiftReference` is OpenShift's own parser (§2.1): no normalization, a registry/namespace/name
 *   split, used for every validation and for the pull specs written into status.
 * - `parseDistributionReference` / `parseNormalizedNamed` are the distribution/reference grammar (§2.2), with
 *   Docker Hub normalization. The import layer uses the Docker defaults only for the network call (§6.4).
 *
 * Pure functions; the upstream error texts are kept verbatim because users search for them.
 */
import { BoundedMemo } from './memo.js';

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

export const referenceErrors = {
  empty: 'repository name must have at least one component',
  format: 'invalid reference format',
  uppercase: 'repository name must be lowercase',
  tooLong: 'repository name must not be more than 255 characters',
  digestFormat: 'invalid checksum digest format',
  digestLength: 'invalid checksum digest length',
  digestUnsupported: 'unsupported digest algorithm',
} as const;

const nameTotalLengthMax = 255;

// --- grammar pieces (shared by both parsers, differences noted) ------------------------------------------
const alphaNumeric = '[a-z0-9]+';
const separatorOld = '(?:[._]|__|[-]*)';
const separatorNew = '(?:[._]|__|[-]+)';
const component = (sep: string): string => `${alphaNumeric}(?:${sep}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const port = ':[0-9]+';
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const oldDomain = `${domainName}(?:${port})?`;
const newDomain = `(?:${domainName}|${ipv6})(?:${port})?`;
const oldPath = `${component(separatorOld)}(?:/${component(separatorOld)})*`;
const newPath = `${component(separatorNew)}(?:/${component(separatorNew)})*`;

const oldReference = new RegExp(`^((?:${oldDomain}/)?${oldPath})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const newReference = new RegExp(`^((?:${newDomain}/)?${newPath})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const newName = new RegExp(`^(?:(${newDomain})/)?(${newPath})$`);
const tagOnly = new RegExp(`^${tagPattern}$`);
const hex64 = /^[a-f0-9]{64}$/;

// --- digests ----------------------------------------------------------------------------------------------
const digestSizes: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** OpenShift's vendored digest check: sha256, sha384 and sha512 with the exact hex length. */
export function validateDigest(value: string): string | undefined {
  if (!/^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/.test(value)) return referenceErrors.digestFormat;
  const i = value.indexOf(':');
  const size = digestSizes[value.slice(0, i)];
  if (size === undefined) return referenceErrors.digestUnsupported;
  if (value.length - i - 1 !== size) return referenceErrors.digestLength;
  return undefined;
}

/** The distribution package's check, where only sha256 is registered and hex must be lowercase. */
function validateDistributionDigest(value: string): string | undefined {
  const i = value.indexOf(':');
  if (i <= 0 || i + 1 === value.length) return referenceErrors.digestFormat;
  const algorithm = value.slice(0, i);
  const encoded = value.slice(i + 1);
  if (algorithm !== 'sha256') {
    return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value) ? referenceErrors.digestUnsupported : referenceErrors.digestFormat;
  }
  if (encoded.length !== 64) return referenceErrors.digestLength;
  return hex64.test(encoded) ? undefined : referenceErrors.digestFormat;
}

/** True for a well-formed `sha256:<64 hex>` (or sha384/sha512) digest, as OpenShift's parser accepts it. */
export function isDigest(value: string): boolean {
  return validateDigest(value) === undefined;
}

/** True for a valid tag name (`[\w][\w.-]{0,127}`). */
export function isValidTag(value: string): boolean {
  return tagOnly.test(value);
}

// --- OpenShift's parser (§2.1) -----------------------------------------------------------------------------
export interface OpenShiftReference {
  readonly registry: string;
  readonly namespace: string;
  readonly name: string;
  readonly tag: string;
  readonly id: string;
}

function matchOld(input: string): Result<RegExpExecArray> {
  const m = oldReference.exec(input);
  if (!m) {
    if (input === '') return fail(referenceErrors.empty);
    if (oldReference.test(input.toLowerCase())) return fail(referenceErrors.uppercase);
    return fail(referenceErrors.format);
  }
  if ((m[1] ?? '').length > nameTotalLengthMax) return fail(referenceErrors.tooLong);
  const digest = m[3];
  if (digest !== undefined) {
    const err = validateDigest(digest);
    if (err) return fail(err);
  }
  return ok(m);
}

/**
 * Parses of recent inputs. A pass reads the same pull specs many times (validation, due, the importer, planning;
 * many tags follow one source), and the grammar's regular expression is the costly part. A result is a value of its
 * input alone and frozen, so sharing it changes nothing; the memo forgets everything when it is full.
 */
const parsedReferences = new BoundedMemo<Result<OpenShiftReference>>(16_384);

export function parseOpenShiftReference(input: string): Result<OpenShiftReference> {
  return parsedReferences.get(input, (text) => {
    const result = parseReference(text);
    if (result.ok) Object.freeze(result.value);
    return Object.freeze(result);
  });
}

function parseReference(input: string): Result<OpenShiftReference> {
  const matched = matchOld(input);
  if (!matched.ok) return matched;
  const [, fullName = '', tag = '', id = ''] = matched.value;
  const slash = fullName.indexOf('/');
  if (slash === -1 && (fullName.includes('.') || fullName.startsWith('localhost'))) {
    // A bare host: the whole input (including what the grammar took as a tag) is the registry.
    return ok({ registry: input, namespace: '', name: '', tag: '', id });
  }
  let registry = '';
  let rest = fullName;
  if (slash !== -1) {
    const first = fullName.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost') {
      registry = first;
      rest = fullName.slice(slash + 1);
    }
  }
  const nsSlash = rest.indexOf('/');
  const namespace = nsSlash === -1 ? '' : rest.slice(0, nsSlash);
  const name = nsSlash === -1 ? rest : rest.slice(nsSlash + 1);
  return ok({ registry, namespace, name, tag, id });
}

const dockerHubNames = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `[registry/][namespace/]name` followed by `@id` (digest), `:id` (not a digest) or `:tag`. Empty when name is. */
export function exactReference(ref: OpenShiftReference): string {
  if (ref.name === '') return '';
  let s = ref.registry ? `${ref.registry}/` : '';
  if (ref.namespace) s += `${ref.namespace}/`;
  s += ref.name;
  if (ref.id) return s + (isDigest(ref.id) ? `@${ref.id}` : `:${ref.id}`);
  return ref.tag ? `${s}:${ref.tag}` : s;
}

/** The repository part only: `[registry/][namespace/]name`. */
export function repositoryOf(ref: OpenShiftReference): string {
  return exactReference({ ...ref, tag: '', id: '' });
}

/** Fills in what a Docker client would assume: docker.io, `library/` for Docker Hub, tag `latest`. */
export function dockerClientDefaults(ref: OpenShiftReference): OpenShiftReference {
  const registry = ref.registry || 'docker.io';
  const namespace = ref.namespace || (dockerHubNames.has(registry) ? 'library' : '');
  const tag = ref.tag || 'latest';
  return { ...ref, registry, namespace, tag };
}

/** Drops the tag when the id is a digest: the most specific form. */
export function mostSpecific(ref: OpenShiftReference): OpenShiftReference {
  return ref.id && isDigest(ref.id) ? { ...ref, tag: '' } : ref;
}

/** The host to talk to: Docker Hub's names map to its API host. */
export function apiRegistryHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

// --- distribution/reference (§2.2) -------------------------------------------------------------------------
export interface DistributionReference {
  readonly domain: string;
  readonly path: string;
  readonly tag: string;
  readonly digest: string;
}

export function distributionName(ref: DistributionReference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

export function distributionString(ref: DistributionReference): string {
  let s = distributionName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** distribution/reference `Parse`: the grammar with IPv6 hosts, no normalization; 255 limit on the path. */
export function parseDistributionReference(input: string): Result<DistributionReference> {
  const m = newReference.exec(input);
  if (!m) {
    if (input === '') return fail(referenceErrors.empty);
    if (newReference.test(input.toLowerCase())) return fail(referenceErrors.uppercase);
    return fail(referenceErrors.format);
  }
  const [, fullName = '', tag = '', digest = ''] = m;
  const nm = newName.exec(fullName);
  const domain = nm?.[1] ?? '';
  const path = nm?.[2] ?? fullName;
  if (path.length > nameTotalLengthMax) return fail(referenceErrors.tooLong);
  if (digest) {
    const err = validateDistributionDigest(digest);
    if (err) return fail(err);
  }
  return ok({ domain, path, tag, digest });
}

/** distribution/reference `ParseNormalizedNamed`: Docker Hub defaults (`docker.io`, `library/`). */
export function parseNormalizedNamed(input: string): Result<DistributionReference> {
  if (hex64.test(input)) {
    return fail(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const i = input.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : input.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = 'docker.io';
    remainder = input;
  } else {
    domain = first;
    remainder = input.slice(i + 1);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    return fail(`${referenceErrors.format}: repository name (${remote}) must be lowercase`);
  }
  return parseDistributionReference(`${domain}/${remainder}`);
}

/** `FamiliarString`: drops `docker.io/` and a single-level `library/`. */
export function familiarString(ref: DistributionReference): string {
  let name = distributionName(ref);
  if (ref.domain === 'docker.io') {
    name = ref.path;
    const rest = name.startsWith('library/') ? name.slice('library/'.length) : undefined;
    if (rest !== undefined && !rest.includes('/')) name = rest;
  }
  return distributionString({ domain: '', path: name, tag: ref.tag, digest: ref.digest });
}

/** `TagNameOnly`: adds `latest` only when there is neither a tag nor a digest. */
export function withDefaultTag(ref: DistributionReference): DistributionReference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

/** `ParseDockerRef` applied to an already normalized reference: a digest wins over the tag. */
export function dockerRef(ref: DistributionReference): DistributionReference {
  return ref.digest ? { ...ref, tag: '' } : withDefaultTag(ref);
}
