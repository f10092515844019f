/**
 * Import failures in OpenShift's words (semantics.md §6.9): the Status reason and message an ImportSuccess=False
 * condition carries, from our registry and manifest errors, with our own detail kept beside them.
 */
import { ManifestError } from './manifest.js';
import type { Target } from './registry-client.js';
import { RegistryError } from './registry-client.js';
import type { ImportFailure } from './types.js';

/** A failure in OpenShift's reason and message (§6.9), with our detail. */
export function importFailure(
  err: unknown,
  source: { readonly normalized: string; readonly target: Pick<Target, 'host' | 'repository'> },
): ImportFailure {
  const ref = source.normalized;
  const internal = (kind: ImportFailure['kind'], text: string, detail?: string): ImportFailure => ({
    kind,
    reason: 'InternalError',
    message: `Internal error occurred: ${ref}: ${text}`,
    ...(detail ? { detail } : {}),
  });
  if (err instanceof ManifestError) return internal(err.kind === 'unsupported' ? 'unsupported' : 'bad-response', err.message);
  if (!(err instanceof RegistryError)) return internal('bad-response', err instanceof Error ? err.message : String(err));
  switch (err.kind) {
    case 'not-found':
      return { kind: 'not-found', reason: 'NotFound', message: `dockerimage.image.openshift.io "${ref}" not found`, detail: err.message };
    case 'unauthorized':
    case 'forbidden': {
      const badCredentials = err.details.credentialsRefused === true;
      const message = badCredentials
        ? `incorrect username or password for image "${ref}"`
        : err.details.hadCredentials === false
          ? `you may not have access to the container image "${ref}" and did not have credentials to the repository`
          : `you may not have access to the container image "${ref}"`;
      return { kind: 'unauthorized', reason: 'Unauthorized', message, detail: err.message };
    }
    case 'insecure-required':
      return {
        kind: 'insecure-required',
        reason: 'BadRequest',
        message: `the repository ${source.target.host}/${source.target.repository} is HTTP only and requires the insecure flag to import`,
      };
    case 'not-v2':
      return {
        kind: 'bad-response',
        reason: 'NotV2Registry',
        message: `registry "${source.target.host}" does not support the v2 Registry API`,
      };
    case 'forbidden-address':
      return { kind: 'forbidden', reason: 'Forbidden', message: `forbidden: ${ref}: ${err.message}` };
    case 'rate-limited':
      return internal('rate-limited', err.message, err.details.detail);
    case 'timeout':
      return internal('timeout', err.message);
    case 'unavailable':
      return internal('unavailable', err.message);
    default:
      return internal('bad-response', err.message);
  }
}
