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

/** `ParseImageStreamTagName`: exactly one `:`, both parts non-empty, no `@`. */
export function parseImageStreamTagName(name: string): { stream: string; tag: string } | undefined {
  const parts = name.split(':');
  if (parts.length !== 2 || name.includes('@') || parts[0] === '' || parts[1] === '') return undefined;
  return { stream: parts[0] as string, tag: parts[1] as string };
}

/** `ParseImageStreamImageName`: exactly one `@`, both parts non-empty. */
export function parseImageStreamImageName(name: string): { stream: string; id: string } | undefined {
  const parts = name.split('@');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { stream: parts[0] as string, id: parts[1] as string };
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
