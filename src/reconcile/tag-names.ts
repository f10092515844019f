/**
 * ImageStreamTag and ImageStreamImage names (semantics.md §2.4, §3.5, §3.6).
 */

const sourceFormError = 'must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>';

/** `SplitImageStreamTag`: split at the first `:`; a missing or empty tag is `latest`; `ok` is false without `:`. */
export function splitImageStreamTag(name: string): { stream: string; tag: string; ok: boolean } {
  const i = name.indexOf(':');
  if (i === -1) return { stream: name, tag: 'latest', ok: false };
  return { stream: name.slice(0, i), tag: name.slice(i + 1) || 'latest', ok: true };
}

/** `SplitImageStreamImage`: split at the first `@`; `ok` is false without `@`. */
export function splitImageStreamImage(name: string): { stream: string; id: string; ok: boolean } {
  const i = name.indexOf('@');
  return i === -1 ? { stream: name, id: '', ok: false } : { stream: name.slice(0, i), id: name.slice(i + 1), ok: true };
}

/** `ParseImageStreamTagName` with upstream's errors: no `@`, exactly one `:`, both parts non-empty. */
export function parseImageStreamTagNameOrError(name: string): { stream: string; tag: string } | { error: string } {
  if (name.includes('@')) return { error: `"${name}" is an image stream image, not an image stream tag` };
  const parts = name.split(':');
  if (parts.length !== 2) return { error: `expected exactly one : delimiter in the istag "${name}"` };
  const [stream, tag] = parts as [string, string];
  if (stream === '' || tag === '') return { error: `image stream tag name "${name}" must have a name and a tag` };
  return { stream, tag };
}

/** `ParseImageStreamTagName`: exactly one `:`, both parts non-empty, no `@`. */
export function parseImageStreamTagName(name: string): { stream: string; tag: string } | undefined {
  const parsed = parseImageStreamTagNameOrError(name);
  return 'error' in parsed ? undefined : parsed;
}

/** `ParseImageStreamImageName` with upstream's errors: exactly one `@`, both parts non-empty. */
export function parseImageStreamImageNameOrError(name: string): { stream: string; id: string } | { error: string } {
  const parts = name.split('@');
  if (parts.length !== 2) return { error: `expected exactly one @ in the isimage name "${name}"` };
  const [stream, id] = parts as [string, string];
  if (stream === '' || id === '') return { error: `image stream image name "${name}" must have a name and ID` };
  return { stream, id };
}

/** `ParseImageStreamImageName`: exactly one `@`, both parts non-empty. */
export function parseImageStreamImageName(name: string): { stream: string; id: string } | undefined {
  const parsed = parseImageStreamImageNameOrError(name);
  return 'error' in parsed ? undefined : parsed;
}

/** An ImageStreamTag `from.name` in a spec tag: `<tag>` (same stream) or `<stream>:<tag>`. */
export function parseTagSource(fromName: string): { stream: string | undefined; tag: string } | { error: string } {
  const parts = fromName.split(':');
  if (parts.length > 2 || fromName.includes('@')) return { error: sourceFormError };
  if (parts.length === 1) return parts[0] === '' ? { error: sourceFormError } : { stream: undefined, tag: parts[0] as string };
  const [stream, tag] = parts as [string, string];
  if (stream === '' || tag === '') return { error: sourceFormError };
  return { stream, tag };
}

/** An ImageStreamImage `from.name` in a spec tag: `<id>` (same stream) or `<stream>@<id>`. */
export function parseImageSource(fromName: string): { stream: string | undefined; id: string } | { error: string } {
  const parts = fromName.split('@');
  if (parts.length > 2) return { error: sourceFormError };
  if (parts.length === 1) return parts[0] === '' ? { error: sourceFormError } : { stream: undefined, id: parts[0] as string };
  const [stream, id] = parts as [string, string];
  if (stream === '' || id === '') return { error: sourceFormError };
  return { stream, id };
}
