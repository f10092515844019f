/**
 * `import-image` as `oc import-image` builds its request: the ImageStreamImport it would send (oc
 * `pkg/cli/importimage/importimage.go` createImageImport, importTag, importAll, newImageStreamImportTags), the
 * server's checks of that request before anything is imported (oas `pkg/image/apis/image/validation/validation.go`
 * ValidateImageStreamImport), and the spec tags the server writes for it (oas
 * `pkg/image/apiserver/registry/imagestreamimport/rest.go` importSuccessful, ensureSpecTag). Pure.
 */
import { annotationsOf, specOf, specTagsOf } from './accessors.js';
import { AuthoringError } from './authoring.js';
import type { ImportMode, ReferencePolicyType, TagReference } from './model.js';
import { annotations as known, defaultImageTag, importModes, kinds } from './model.js';
import { parseOpenShiftReference } from './reference.js';
import { splitImageStreamTag } from './tag-names.js';
import { dns1123LabelReasons, streamNameReasons } from './validate-metadata.js';

/** One error of a request, as apimachinery's field.Error carries it. */
export interface FieldError {
  readonly type: 'Required' | 'Invalid';
  readonly field: string;
  readonly value?: unknown;
  readonly detail: string;
}

export interface RequestImportPolicy {
  readonly insecure: boolean;
  readonly scheduled: boolean;
  /** What the request asks for; '' leaves the tag's own (or the default). */
  readonly importMode: string;
}

export interface ImageImportSpec {
  readonly from: { readonly kind: string; readonly name: string };
  /** The tag the image goes to. */
  readonly to?: { readonly name: string };
  readonly importPolicy: RequestImportPolicy;
}

/** The ImageStreamImport: metadata, `spec.images` and `spec.repository`. */
export interface ImageStreamImportRequest {
  readonly namespace: string;
  readonly name: string;
  readonly images: readonly ImageImportSpec[];
  readonly repository?: { readonly from: { readonly kind: string; readonly name: string }; readonly importPolicy: RequestImportPolicy };
}

const importModeDetail = `invalid import mode, valid modes are '', '${importModes.join("', '")}'`;

function importPolicyErrors(policy: RequestImportPolicy, field: string): FieldError[] {
  const m = policy.importMode;
  return m === '' || (importModes as readonly string[]).includes(m)
    ? []
    : [{ type: 'Invalid', field: `${field}.importMode`, value: m, detail: importModeDetail }];
}

/** ValidateImageStreamImport, rule for rule and in its order: images, repository, "at least one", metadata. */
export function validateImageStreamImport(isi: ImageStreamImportRequest): FieldError[] {
  const errs: FieldError[] = [];
  isi.images.forEach((spec, i) => {
    const at = `spec.images[${i}]`;
    if (spec.from.kind === kinds.dockerImage) {
      if (spec.to !== undefined && spec.to.name === '')
        errs.push({ type: 'Invalid', field: `${at}.to.name`, value: '', detail: 'the name of the target tag must be specified' });
      if (spec.from.name === '') errs.push({ type: 'Required', field: `${at}.from.name`, detail: '' });
      else if (spec.from.name !== '*') {
        // '*' is what legacy clients sent to look up streams; upstream lets it through (and so skips the policy check).
        const parsed = parseOpenShiftReference(spec.from.name);
        if (!parsed.ok) errs.push({ type: 'Invalid', field: `${at}.from.name`, value: spec.from.name, detail: parsed.error });
      } else return;
    } else {
      errs.push({ type: 'Invalid', field: `${at}.from.kind`, value: spec.from.kind, detail: 'only DockerImage is supported' });
    }
    errs.push(...importPolicyErrors(spec.importPolicy, `${at}.importPolicy`));
  });
  const repo = isi.repository;
  if (repo) {
    if (repo.from.kind === kinds.dockerImage) {
      if (repo.from.name === '')
        errs.push({ type: 'Required', field: 'spec.repository.from.name', detail: 'container image references require a name' });
      else {
        const parsed = parseOpenShiftReference(repo.from.name);
        if (!parsed.ok) errs.push({ type: 'Invalid', field: 'spec.repository.from.name', value: repo.from.name, detail: parsed.error });
        else if (parsed.value.id !== '' || parsed.value.tag !== '')
          errs.push({
            type: 'Invalid',
            field: 'spec.repository.from.name',
            value: repo.from.name,
            detail: 'you must specify an image repository, not a tag or ID',
          });
      }
    } else {
      errs.push({ type: 'Invalid', field: 'spec.repository.from.kind', value: repo.from.kind, detail: 'only DockerImage is supported' });
    }
    errs.push(...importPolicyErrors(repo.importPolicy, 'spec.repository.importPolicy'));
  }
  if (isi.images.length === 0 && !repo)
    errs.push({ type: 'Invalid', field: 'spec.images', value: null, detail: 'you must specify at least one image or a repository import' });
  // ValidateObjectMeta with a required namespace and ValidateImageStreamName.
  if (isi.name === '') errs.push({ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' });
  else for (const r of streamNameReasons(isi.name)) errs.push({ type: 'Invalid', field: 'metadata.name', value: isi.name, detail: r });
  if (isi.namespace === '') errs.push({ type: 'Required', field: 'metadata.namespace', detail: '' });
  else
    for (const r of dns1123LabelReasons(isi.namespace))
      errs.push({ type: 'Invalid', field: 'metadata.namespace', value: isi.namespace, detail: r });
  return errs;
}

/** One error as apimachinery prints it: `field: Invalid value: "v": detail`, `field: Required value[: detail]`. */
export function formatFieldError(e: FieldError): string {
  if (e.type === 'Required') return `${e.field}: Required value${e.detail ? `: ${e.detail}` : ''}`;
  const value = e.value === null || e.value === undefined ? '"null"' : JSON.stringify(e.value);
  return `${e.field}: Invalid value: ${value}${e.detail ? `: ${e.detail}` : ''}`;
}

/** What oc prints for the server's Invalid answer: one error inline, several as a list. */
export function invalidImportMessage(name: string, errors: readonly FieldError[]): string {
  const parts = errors.map(formatFieldError);
  return `The ImageStreamImport "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
}

/** A request the server would refuse: nothing is imported or written. */
export class InvalidImportError extends AuthoringError {
  override readonly code = 'invalid-import';
  constructor(
    name: string,
    readonly errors: readonly FieldError[],
  ) {
    super(invalidImportMessage(name, errors));
  }
}

/** What `import-image` was asked. `insecure` is undefined when the flag was not given (then the stream's annotation decides). */
export interface ImportImageInput {
  readonly namespace: string;
  readonly name: string;
  /** The tag written after NAME (`NAME:TAG`); undefined when none was. */
  readonly tag?: string | undefined;
  readonly from?: string | undefined;
  readonly all: boolean;
  readonly confirm: boolean;
  readonly scheduled: boolean;
  readonly insecure?: boolean | undefined;
  readonly importMode?: string | undefined;
  readonly referencePolicy?: Exclude<ReferencePolicyType, ''> | undefined;
}

/** One image to import into one tag, with the policy the request gives it. */
export interface TagImport {
  readonly tag: string;
  readonly from: string;
  readonly policy: RequestImportPolicy;
}

export interface ImportImagePlan {
  readonly request: ImageStreamImportRequest;
  /** The images to import (empty for a repository import: its tags are listed first). */
  readonly images: readonly TagImport[];
  /** `--all` from a repository: list its tags, then import each as `<from>:<tag>` with this policy. */
  readonly repository?: { readonly from: string; readonly policy: RequestImportPolicy };
}

const refusal = (message: string): never => {
  throw new AuthoringError(message);
};

/** FollowTagReference (oc `pkg/helpers/image/helpers.go`): follow same-stream ImageStreamTag tags to the tag they end at. */
function followTag(
  stream: Readonly<Record<string, unknown>>,
  streamName: string,
  namespace: string,
  start: string,
): { tag: string; ref: TagReference | undefined; multiple: boolean } {
  const tags = specTagsOf(stream);
  const seen = new Set<string>();
  let tag = start;
  let multiple = false;
  for (;;) {
    if (seen.has(tag)) return refusal(`tag "${start}" on the image stream is a reference to same tag`);
    seen.add(tag);
    const ref = tags.find((t) => t.name === tag);
    if (!ref) return { tag, ref: undefined, multiple };
    if (!ref.from || ref.from.kind !== kinds.imageStreamTag) return { tag, ref, multiple };
    if (ref.from.namespace && ref.from.namespace !== namespace)
      return refusal(`tag "${start}" points to an imagestreamtag from another ImageStream`);
    const fromName = ref.from.name ?? '';
    if (fromName.includes(':')) {
      const split = splitImageStreamTag(fromName);
      if (split.stream !== streamName) return refusal(`tag "${start}" points to an imagestreamtag from another ImageStream`);
      tag = split.tag;
    } else tag = fromName;
    multiple = true;
  }
}

/**
 * The request `oc import-image` makes for the input, against the stream as it is (undefined: none yet, which
 * needs --confirm). Throws AuthoringError with oc's own words where oc refuses before sending anything.
 */
export function planImageImport(existing: Readonly<Record<string, unknown>> | undefined, input: ImportImageInput): ImportImagePlan {
  const importMode = input.importMode ?? '';
  // newImageStreamImport: the stream's insecure annotation, unless --insecure was given (either way).
  const streamInsecure = input.insecure ?? (existing !== undefined && annotationsOf(existing)[known.insecureRepository] === 'true');
  const base = { namespace: input.namespace, name: input.name };
  const policyFor = (tag: string): RequestImportPolicy => {
    // newImageStreamImportTags: an existing tag's insecure and scheduled are kept (or-ed with the request's).
    const old = existing === undefined ? undefined : specTagsOf(existing).find((t) => t.name === tag);
    return {
      insecure: streamInsecure || old?.importPolicy?.insecure === true,
      scheduled: input.scheduled || old?.importPolicy?.scheduled === true,
      importMode,
    };
  };
  const imagesFor = (pairs: ReadonlyArray<readonly [string, string]>): ImportImagePlan => {
    const images = pairs.map(([tag, from]) => ({ tag, from, policy: policyFor(tag) }));
    return {
      request: {
        ...base,
        images: images.map((i) => ({ from: { kind: kinds.dockerImage, name: i.from }, to: { name: i.tag }, importPolicy: i.policy })),
      },
      images,
    };
  };
  const repositoryFor = (from: string): ImportImagePlan => {
    const policy = { insecure: streamInsecure, scheduled: input.scheduled, importMode };
    return {
      request: { ...base, images: [], repository: { from: { kind: kinds.dockerImage, name: from }, importPolicy: policy } },
      images: [],
      repository: { from, policy },
    };
  };
  const tag = input.tag ?? defaultImageTag;
  if (existing === undefined) {
    if (!input.confirm) return refusal(`no image stream named "${input.name}" exists, pass --confirm to create and import`);
    if (!input.from) return refusal(`--from is required to create ${input.name}: give the image (or, with --all, the repository)`);
    return input.all ? repositoryFor(input.from) : imagesFor([[tag, input.from]]);
  }
  const repository = specOf(existing).dockerImageRepository;
  const streamRepository = typeof repository === 'string' ? repository : '';
  if (input.all) {
    // importAll: another repository than the stream's own needs --confirm. (oc also sets it on its own copy of the
    // stream, but the server's import never writes spec.dockerImageRepository, so neither does this.)
    const from = input.from || streamRepository;
    if (from !== '' && from !== streamRepository && !input.confirm)
      return refusal(
        streamRepository === ''
          ? 'the image stream does not currently import an entire Docker repository, pass --confirm to update'
          : `the image stream has a different import spec "${streamRepository}", pass --confirm to update`,
      );
    if (from !== '') return repositoryFor(from);
    // importAll without a repository: every tag that points at a registry image.
    const pairs = specTagsOf(existing)
      .filter((t) => t.from?.kind === kinds.dockerImage)
      .map((t) => [t.name, t.from?.name ?? ''] as const);
    if (pairs.length === 0) return refusal('image stream does not have tags pointing to external container images');
    return imagesFor(pairs);
  }
  const followed = followTag(existing, input.name, input.namespace, tag);
  if (!followed.ref) {
    // A new tag: --from, or for latest the stream's own repository.
    const from = input.from || (tag === defaultImageTag ? streamRepository : '');
    if (!from)
      return refusal(
        `the tag "${tag}" does not exist on the image stream - choose an existing tag to import or use the 'tag' command to create a new tag`,
      );
    return imagesFor([[followed.tag, from]]);
  }
  const from = followed.ref.from;
  if (!from)
    return refusal(
      `tag "${tag}" already exists - you must use the 'tag' command if you want to change the source to "${input.from ?? ''}"`,
    );
  if (from.kind !== kinds.dockerImage)
    return refusal(`tag "${tag}" points to existing ${from.kind ?? ''} "${from.name ?? ''}", it cannot be re-imported`);
  if (input.from && input.from !== from.name)
    return refusal(
      followed.multiple
        ? `the tag "${tag}" points to the tag "${followed.tag}" which points to "${from.name ?? ''}" - use the 'tag' command if you want to change the source to "${input.from}"`
        : `the tag "${tag}" points to "${from.name ?? ''}" - use the 'tag' command if you want to change the source to "${input.from}"`,
    );
  return imagesFor([[followed.tag, from.name ?? '']]);
}

/** The import mode an import runs with: the request's, else the tag's own, else the default. */
export function effectiveImportMode(policy: RequestImportPolicy, tag: TagReference | undefined): ImportMode {
  const m = policy.importMode !== '' ? policy.importMode : (tag?.importPolicy?.importMode ?? '');
  return (importModes as readonly string[]).includes(m) ? (m as ImportMode) : 'Legacy';
}

/**
 * The spec tag an import leaves (ensureSpecTag, then importSuccessful's `specTag.ImportPolicy = importPolicy`): a
 * new tag is `from` the image with the request's reference policy; an existing one keeps its other fields, its import
 * policy becomes the request's (insecure and scheduled already merged with its own; its importMode kept unless
 * the request names one). False values are not written where the tag did not have them.
 */
export function importedSpecTag(
  old: TagReference | undefined,
  t: TagImport,
  referencePolicy: Exclude<ReferencePolicyType, ''> | undefined,
): TagReference {
  const before: Record<string, unknown> = { ...(old?.importPolicy ?? {}) };
  const policy: Record<string, unknown> = { ...before };
  for (const k of ['insecure', 'scheduled'] as const) {
    if (t.policy[k]) policy[k] = true;
    else if (k in before) policy[k] = false;
  }
  if (t.policy.importMode !== '') policy.importMode = t.policy.importMode;
  const importPolicy = Object.keys(policy).length > 0 ? { importPolicy: policy as TagReference['importPolicy'] } : {};
  if (!old)
    return {
      name: t.tag,
      from: { kind: kinds.dockerImage, name: t.from },
      ...importPolicy,
      ...(referencePolicy ? { referencePolicy: { type: referencePolicy } } : {}),
    };
  return {
    ...old,
    from: { kind: kinds.dockerImage, name: t.from },
    ...importPolicy,
    ...(referencePolicy ? { referencePolicy: { type: referencePolicy } } : {}),
  };
}
