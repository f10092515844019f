/**
 * Which registries may be imported from (`allowed`, `blocked`, `insecureForbidden`), and mirrors: the operator's
 * rules, applied before any request is made.
 */
import type { Target } from './registry-client.js';
import type { ImportFailure } from './types.js';

/** Fetch a registry's images from another host (a pull-through cache, an air-gapped copy). Pull specs keep the original. */
export interface RegistryMirror {
  readonly registry: string;
  readonly mirror: string;
  readonly insecure?: boolean;
}

export interface RegistryPolicy {
  /** When non-empty, only these registries may be imported from. */
  readonly allowed?: readonly string[];
  readonly blocked?: readonly string[];
  /** Registries for which insecure imports are refused even when a tag asks for them. */
  readonly insecureForbidden?: readonly string[];
}

/** Whether a rule's list names this registry (as written, or the host it is reached at). */
export const registryMatches = (list: readonly string[] | undefined, registry: string, host: string): boolean =>
  (list ?? []).some((r) => r === registry || r === host || (r === 'docker.io' && host === 'registry-1.docker.io'));

/** The refusal a policy gives an import from this target, or undefined when it may go ahead. */
export function policyRefusal(
  policy: RegistryPolicy | undefined,
  target: Pick<Target, 'registry' | 'host'>,
  insecure: boolean,
): ImportFailure | undefined {
  const { registry, host } = target;
  const rules = policy ?? {};
  const notAllowed = (rules.allowed?.length ?? 0) > 0 && !registryMatches(rules.allowed, registry, host);
  if (registryMatches(rules.blocked, registry, host) || notAllowed) {
    return { kind: 'forbidden', reason: 'Forbidden', message: `forbidden: registry ${registry} blocked` };
  }
  if (insecure && registryMatches(rules.insecureForbidden, registry, host)) {
    return { kind: 'forbidden', reason: 'Forbidden', message: `forbidden: insecure imports from registry ${registry} are not allowed` };
  }
  return undefined;
}
