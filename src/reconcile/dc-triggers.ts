/**
 * DeploymentConfig ImageChange trigger sources as the apps API reads them (openshift-apiserver
 * `pkg/apps/apis/apps/v1/conversion.go` Convert_v1_DeploymentTriggerImageChangeParams_To_apps_…): `kind:
 * ImageStream` and the legacy `ImageRepository` are read as an ImageStreamTag, and a bare name as that stream's
 * `latest` tag. Every other kind is left for validation to refuse. Pure.
 */
import { isRecord } from './objects.js';
import { defaultImageTag, kinds } from './model.js';

export interface ImageChangeSource {
  /** The kind after conversion (ImageStreamTag for the stream kinds), as written otherwise. */
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** The kind as the file writes it. */
  readonly writtenKind: unknown;
}

const streamKinds: readonly unknown[] = ['ImageStream', 'ImageRepository'];

export function imageChangeSource(from: unknown): ImageChangeSource | undefined {
  if (!isRecord(from)) return undefined;
  const name = typeof from.name === 'string' ? from.name : '';
  const namespace = typeof from.namespace === 'string' && from.namespace !== '' ? { namespace: from.namespace } : {};
  if (streamKinds.includes(from.kind))
    return {
      kind: kinds.imageStreamTag,
      name: name.includes(':') ? name : `${name}:${defaultImageTag}`,
      ...namespace,
      writtenKind: from.kind,
    };
  return { kind: typeof from.kind === 'string' ? from.kind : '', name, ...namespace, writtenKind: from.kind };
}
