import type { Finding } from './codes.js';
import { finding } from './codes.js';
import { imageStreamApiVersions } from './model.js';
import type { ObjectLocation } from './model.js';

/** A Kubernetes object found in a document, with where it is. `value` is the object as parsed, untouched. */
export interface ManifestObject {
  readonly location: ObjectLocation;
  readonly apiVersion: string;
  readonly kind: string;
  readonly value: Readonly<Record<string, unknown>>;
  /** Set for objects listed in an OpenShift Template's `objects`: their values may hold `${PARAM}`. */
  readonly template?: ObjectLocation;
}

/** A finding placed in a document: `pointer` is relative to the document, not to the object. */
export interface LocatedFinding extends Finding {
  readonly file: string;
  readonly document: number;
}

export function locate(object: { readonly location: ObjectLocation }, f: Finding): LocatedFinding {
  return { ...f, pointer: object.location.pointer + f.pointer, file: object.location.file, document: object.location.documentIndex };
}

/** apiVersions of the OpenShift Template kind. */
const templateApiVersions = ['template.openshift.io/v1', 'v1'];
/** List kinds whose `items` hold objects (what `oc get -o yaml` writes). */
const listKinds = new Set(['List', 'ImageStreamList']);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The OpenShift Template parameter syntax, `${NAME}` or `${{NAME}}`: such values are checked only once substituted. */
export function holdsTemplateParameter(value: unknown): boolean {
  return typeof value === 'string' && /\$\{\{?[A-Za-z0-9_]+\}?\}/.test(value);
}

export interface DocumentInput {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
}

/**
 * Every Kubernetes object in the documents: top-level objects, the items of a List, and the objects of an
 * OpenShift Template. Documents that are not Kubernetes objects (no apiVersion and kind) are not ours and are left
 * alone; only structures that claim to be Lists or Templates are held to their shape.
 */
export function collectObjects(documents: readonly DocumentInput[]): { objects: ManifestObject[]; findings: LocatedFinding[] } {
  const objects: ManifestObject[] = [];
  const findings: LocatedFinding[] = [];
  const visit = (
    file: string,
    index: number,
    value: unknown,
    pointer: string,
    template: ObjectLocation | undefined,
    depth: number,
  ): void => {
    const location: ObjectLocation = { file, documentIndex: index, pointer };
    if (!isRecord(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
      if (pointer !== '') {
        findings.push(locate({ location }, finding('invalid-list-item', '', 'expected an object with apiVersion and kind')));
      }
      return;
    }
    const { kind, apiVersion } = value;
    if (listKinds.has(kind) && depth === 0) {
      const items = value.items;
      if (Array.isArray(items))
        items.forEach((item, i) => {
          visit(file, index, item, `${pointer}/items/${i}`, template, depth + 1);
        });
      return;
    }
    if (kind === 'Template' && !template) {
      if (!templateApiVersions.includes(apiVersion)) {
        findings.push(
          locate(
            { location },
            finding(
              'unknown-api-version',
              '/apiVersion',
              `Template with apiVersion "${apiVersion}" is not recognised (expected template.openshift.io/v1 or v1); its objects are not checked`,
            ),
          ),
        );
        return;
      }
      const items = value.objects;
      if (Array.isArray(items)) {
        items.forEach((item, i) => {
          visit(file, index, item, `${pointer}/objects/${i}`, location, depth + 1);
        });
      }
      return;
    }
    if (kind === 'ImageStream' && !imageStreamApiVersions.includes(apiVersion)) {
      findings.push(
        locate(
          { location },
          finding(
            'unknown-api-version',
            '/apiVersion',
            `ImageStream with apiVersion "${apiVersion}" is not recognised (expected image.openshift.io/v1 or v1); it is not checked`,
          ),
        ),
      );
      return;
    }
    objects.push(template ? { location, apiVersion, kind, value, template } : { location, apiVersion, kind, value });
  };
  for (const doc of documents) visit(doc.file, doc.index, doc.value, '', undefined, 0);
  return { objects, findings };
}
