/**
 * The image objects as `oc get` / `oc describe` name them on the command line: `is/NAME` or `is NAME`,
 * `istag/NAME:TAG` or `istag NAME:TAG`, `isimage/NAME@ID` or `isimage NAME@ID`. Names are read as the API server
 * reads them (lgo imageutil ParseImageStreamTagName / ParseImageStreamImageName, behind oas
 * `registry/imagestreamtag/rest.go` nameAndTag and `registry/imagestreamimage/rest.go` parseNameAndID), and what
 * is missing is reported in the server's words (`Error from server (NotFound): ...`), as oc prints it.
 */
import { kinds } from './model.js';
import { parseImageStreamImageNameOrError, parseImageStreamTagNameOrError } from './tag-names.js';

export type ImageObjectKind = typeof kinds.imageStream | typeof kinds.imageStreamTag | typeof kinds.imageStreamImage;

/** oc's names for the three kinds (`oc api-resources`: plural, singular, short name), case-insensitive. */
const aliases: Readonly<Record<string, ImageObjectKind>> = {
  is: kinds.imageStream,
  imagestream: kinds.imageStream,
  imagestreams: kinds.imageStream,
  istag: kinds.imageStreamTag,
  imagestreamtag: kinds.imageStreamTag,
  imagestreamtags: kinds.imageStreamTag,
  isimage: kinds.imageStreamImage,
  imagestreamimage: kinds.imageStreamImage,
  imagestreamimages: kinds.imageStreamImage,
};

export function imageObjectKindForAlias(alias: string): ImageObjectKind | undefined {
  const key = alias.toLowerCase().replace(/\.image\.openshift\.io$/, '');
  return Object.hasOwn(aliases, key) ? aliases[key] : undefined;
}

/** What an object target names: a namespace when it was written `ns/name`, and the parts of its name. */
export type ImageObjectTarget =
  | { readonly kind: typeof kinds.imageStream; readonly namespace?: string; readonly name?: string }
  | { readonly kind: typeof kinds.imageStreamTag; readonly namespace?: string; readonly name?: { stream: string; tag: string } }
  | { readonly kind: typeof kinds.imageStreamImage; readonly namespace?: string; readonly name?: { stream: string; id: string } };

export type TargetResult = { readonly ok: true; readonly target: ImageObjectTarget } | { readonly ok: false; readonly error: string };

/** The server's group-qualified resource, as its NotFound errors spell it. */
const resources: Readonly<Record<string, string>> = {
  ImageStream: 'imagestreams.image.openshift.io',
  ImageStreamTag: 'imagestreamtags.image.openshift.io',
  // The imagestreamimage REST uses the singular resource in its NotFound (imagev1.Resource("imagestreamimage")).
  ImageStreamImage: 'imagestreamimage.image.openshift.io',
  Deployment: 'deployments.apps',
  StatefulSet: 'statefulsets.apps',
  DaemonSet: 'daemonsets.apps',
  ReplicaSet: 'replicasets.apps',
  ReplicationController: 'replicationcontrollers',
  Job: 'jobs.batch',
  CronJob: 'cronjobs.batch',
  Pod: 'pods',
  DeploymentConfig: 'deploymentconfigs.apps.openshift.io',
};

/** `Error from server (NotFound): imagestreams.image.openshift.io "ruby" not found` (any kind the verbs name). */
export function notFoundMessage(kind: string, name: string): string {
  return `Error from server (NotFound): ${resources[kind] ?? kind.toLowerCase()} "${name}" not found`;
}

const badRequest = {
  ImageStreamTag: 'Error from server (BadRequest): ImageStreamTags must be retrieved with <name>:<tag>',
  ImageStreamImage: 'Error from server (BadRequest): ImageStreamImages must be retrieved with <name>@<id>',
};

function splitNamespace(text: string): { namespace?: string; name: string } {
  const i = text.indexOf('/');
  return i === -1 ? { name: text } : { namespace: text.slice(0, i), name: text.slice(i + 1) };
}

/**
 * `KIND/NAME`, `KIND NAME` or `KIND` alone (a list). NAME may be `ns/name` (our shorthand for `-n ns name`). `accept`
 * limits the kinds the command takes; `what` names the command in the error.
 */
export function parseImageObjectTarget(args: readonly string[], accept: readonly ImageObjectKind[], what: string): TargetResult {
  const [first = '', second, ...extra] = args;
  const slash = first.indexOf('/');
  const alias = second === undefined && slash > 0 ? first.slice(0, slash) : first;
  const kind = imageObjectKindForAlias(alias);
  const usage = `${what} takes ${accept.map((k) => Object.keys(aliases).find((a) => aliases[a] === k)).join(', ')}`;
  if (kind === undefined || !accept.includes(kind) || extra.length > 0) return { ok: false, error: `${usage}, not "${args.join(' ')}"` };
  const text = second ?? (slash > 0 && second === undefined ? first.slice(slash + 1) : undefined);
  if (text === undefined) return { ok: true, target: { kind } };
  const { namespace, name } = splitNamespace(text);
  const ns = namespace !== undefined ? { namespace } : {};
  if (kind === kinds.imageStream) {
    if (name === '') return { ok: false, error: `${usage}, not "${args.join(' ')}"` };
    return { ok: true, target: { kind, ...ns, name } };
  }
  if (kind === kinds.imageStreamTag) {
    const parsed = parseImageStreamTagNameOrError(name);
    if ('error' in parsed) return { ok: false, error: `${badRequest[kind]} (${parsed.error})` };
    return { ok: true, target: { kind, ...ns, name: parsed } };
  }
  const parsed = parseImageStreamImageNameOrError(name);
  if ('error' in parsed) return { ok: false, error: `${badRequest[kind]} (${parsed.error})` };
  return { ok: true, target: { kind, ...ns, name: parsed } };
}
