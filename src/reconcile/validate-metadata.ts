/**
 * The object-metadata rules OpenShift applies to an ImageStream (oas validation.go ValidateImageStreamWithWhitelister
 * calls apimachinery's ValidateObjectMeta with a required namespace and ValidateImageStreamName), as they read in a
 * file: name, generateName, namespace, generation, labels, annotations, owner references, finalizers, managed fields.
 * The texts are apimachinery's (`pkg/api/validation/objectmeta.go`, `pkg/util/validation/validation.go`).
 */
import { metadataOf, nameOf } from './accessors.js';
import type { Finding } from './codes.js';
import { finding } from './codes.js';
import { holdsTemplateParameter, isRecord } from './objects.js';
import { joinPointer } from './values.js';

/** OpenShift's image stream name rule (oas validation.go ValidateImageStreamName; semantics.md §1.9). */
const streamNamePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Kubernetes path-segment name rules (apimachinery path.ValidatePathSegmentName); a prefix may be `.` or `..`. */
function pathSegmentReasons(name: string, prefix: boolean): string[] {
  if (!prefix && name === '.') return ["may not be '.'"];
  if (!prefix && name === '..') return ["may not be '..'"];
  const reasons: string[] = [];
  if (name.includes('/')) reasons.push("may not contain '/'");
  if (name.includes('%')) reasons.push("may not contain '%'");
  return reasons;
}

/** ValidateImageStreamName: the path-segment rules, then the repository-component pattern (for a prefix too). */
export function streamNameReasons(name: string, prefix = false): string[] {
  const reasons = pathSegmentReasons(name, prefix);
  if (reasons.length > 0) return reasons;
  return streamNamePattern.test(name) ? [] : [`must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"`];
}

const regexError = (msg: string, fmt: string, ...examples: string[]): string =>
  `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
const maxLen = (n: number): string => `must be no more than ${n} characters`;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** IsDNS1123Label (ValidateNamespaceName). */
export function dns1123LabelReasons(value: string): string[] {
  const reasons: string[] = [];
  if (value.length > 63) reasons.push(maxLen(63));
  if (!dns1123Label.test(value)) {
    reasons.push(
      dns1123Subdomain.test(value)
        ? 'must not contain dots'
        : regexError(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
            'my-name',
            '123-abc',
          ),
    );
  }
  return reasons;
}

function dns1123SubdomainReasons(value: string): string[] {
  const reasons: string[] = [];
  if (value.length > 253) reasons.push(maxLen(253));
  if (!dns1123Subdomain.test(value))
    reasons.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
        'example.com',
      ),
    );
  return reasons;
}

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedName = new RegExp(`^${qualifiedNameFmt}$`);
const qualifiedNameMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** IsQualifiedName: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
export function qualifiedNameReasons(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2)
    return [
      `a qualified name ${regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  const reasons: string[] = [];
  const name = parts.length === 2 ? (parts[1] as string) : (parts[0] as string);
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix === '') reasons.push('prefix part must be non-empty');
    else reasons.push(...dns1123SubdomainReasons(prefix).map((r) => `prefix part ${r}`));
  }
  if (name === '') reasons.push('name part must be non-empty');
  else if (name.length > 63) reasons.push(`name part ${maxLen(63)}`);
  if (!qualifiedName.test(name))
    reasons.push(`name part ${regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return reasons;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValue = new RegExp(`^${labelValueFmt}$`);

function labelValueReasons(value: string): string[] {
  const reasons: string[] = [];
  if (value.length > 63) reasons.push(maxLen(63));
  if (!labelValue.test(value))
    reasons.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFmt,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return reasons;
}

/** Bytes of a string in UTF-8 (Go's len()). */
function utf8Length(value: string): number {
  let n = 0;
  for (const ch of value) {
    const c = ch.codePointAt(0) as number;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** apimachinery TotalAnnotationSizeLimitB. */
export const annotationSizeLimit = 256 * 1024;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const skip = (v: unknown): boolean => holdsTemplateParameter(v);

function checkName(meta: Readonly<Record<string, unknown>>, name: string | undefined, namespace: string, out: Finding[]): void {
  const generateName = str(meta.generateName);
  if (generateName !== undefined && generateName !== '' && !skip(generateName))
    for (const reason of streamNameReasons(generateName, true))
      out.push(
        finding('invalid-generate-name', '/metadata/generateName', `metadata.generateName: Invalid value: "${generateName}": ${reason}`),
      );
  if (name === undefined || name === '') {
    out.push(
      finding(
        'missing-name',
        '/metadata',
        'metadata.name: Required value (a stream in a repository needs a name; generateName cannot be applied twice to the same result)',
      ),
    );
    return;
  }
  if (skip(name)) return;
  for (const reason of streamNameReasons(name))
    out.push(finding('invalid-stream-name', '/metadata/name', `metadata.name: Invalid value: "${name}": ${reason}`));
  if (!skip(namespace) && `${namespace}/${name}`.length > 255) {
    out.push(
      finding(
        'name-too-long',
        '/metadata/name',
        `metadata.name: Invalid value: "${name}": 'namespace/name' cannot be longer than 255 characters`,
      ),
    );
  }
}

function checkLabelsAndAnnotations(meta: Readonly<Record<string, unknown>>, out: Finding[]): void {
  const labels = meta.labels;
  if (isRecord(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      const at = joinPointer('/metadata/labels', key);
      if (!skip(key))
        for (const reason of qualifiedNameReasons(key))
          out.push(finding('invalid-label', at, `metadata.labels: Invalid value: "${key}": ${reason}`, { atKey: true }));
      if (typeof value === 'string' && !skip(value))
        for (const reason of labelValueReasons(value))
          out.push(finding('invalid-label', at, `metadata.labels: Invalid value: "${value}": ${reason}`));
    }
  }
  const notes = meta.annotations;
  if (!isRecord(notes)) return;
  let size = 0;
  for (const [key, value] of Object.entries(notes)) {
    size += utf8Length(key) + (typeof value === 'string' ? utf8Length(value) : 0);
    if (skip(key)) continue;
    for (const reason of qualifiedNameReasons(key.toLowerCase()))
      out.push(
        finding(
          'invalid-annotation',
          joinPointer('/metadata/annotations', key),
          `metadata.annotations: Invalid value: "${key}": ${reason}`,
          {
            atKey: true,
          },
        ),
      );
  }
  if (size > annotationSizeLimit)
    out.push(
      finding(
        'annotations-too-large',
        '/metadata/annotations',
        `metadata.annotations: Too long: may not be more than ${annotationSizeLimit} bytes (keys and values hold ${size})`,
      ),
    );
}

/** schema.ParseGroupVersion's version, or undefined when the text is not a group/version at all. */
function versionOf(apiVersion: string): string | undefined {
  if (apiVersion === '' || apiVersion === '/') return '';
  const parts = apiVersion.split('/');
  if (parts.length === 1) return apiVersion;
  if (parts.length === 2) return parts[1];
  return undefined;
}

function checkOwnerReferences(meta: Readonly<Record<string, unknown>>, out: Finding[]): void {
  const refs = meta.ownerReferences;
  if (!Array.isArray(refs)) return;
  let firstController: string | undefined;
  refs.forEach((ref, i) => {
    if (!isRecord(ref)) return;
    const base = `/metadata/ownerReferences/${i}`;
    const apiVersion = str(ref.apiVersion) ?? '';
    const kind = str(ref.kind) ?? '';
    const name = str(ref.name) ?? '';
    const version = versionOf(apiVersion) ?? '';
    const invalid = (field: string, value: string, reason: string): void => {
      out.push(
        finding('invalid-owner-reference', `${base}/${field}`, `metadata.ownerReferences.${field}: Invalid value: "${value}": ${reason}`),
      );
    };
    if (version === '' && typeof ref.apiVersion === 'string') invalid('apiVersion', apiVersion, 'version must not be empty');
    if (kind === '' && typeof ref.kind === 'string') invalid('kind', kind, 'must not be empty');
    if (name === '' && typeof ref.name === 'string') invalid('name', name, 'must not be empty');
    if (ref.uid === '') invalid('uid', '', 'must not be empty');
    if (apiVersion === 'v1' && kind === 'Event')
      out.push(
        finding(
          'invalid-owner-reference',
          base,
          'metadata.ownerReferences: Invalid value: /v1, Kind=Event is disallowed from being an owner',
        ),
      );
    if (ref.controller === true) {
      const current = `${kind}/${name}`;
      if (firstController === undefined) firstController = current;
      else
        out.push(
          finding(
            'invalid-owner-reference',
            `${base}/controller`,
            `metadata.ownerReferences: Invalid value: Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
    }
  });
}

function checkFinalizersAndManagedFields(meta: Readonly<Record<string, unknown>>, out: Finding[]): void {
  const finalizers = meta.finalizers;
  if (Array.isArray(finalizers)) {
    finalizers.forEach((f, i) => {
      if (typeof f !== 'string' || skip(f)) return;
      for (const reason of qualifiedNameReasons(f))
        out.push(finding('invalid-finalizer', `/metadata/finalizers/${i}`, `metadata.finalizers: Invalid value: "${f}": ${reason}`));
    });
    if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion'))
      out.push(
        finding(
          'invalid-finalizer',
          '/metadata/finalizers',
          'metadata.finalizers: Invalid value: finalizer orphan and foregroundDeletion cannot be both set',
        ),
      );
  }
  const managed = meta.managedFields;
  if (!Array.isArray(managed)) return;
  managed.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const base = `/metadata/managedFields/${i}`;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update')
      out.push(
        finding(
          'invalid-managed-fields',
          entry.operation === undefined ? base : `${base}/operation`,
          `metadata.managedFields[${i}].operation: Invalid value: ${JSON.stringify(entry.operation ?? '')}: must be \`Apply\` or \`Update\``,
        ),
      );
    const type = str(entry.fieldsType);
    if (type !== undefined && type !== '' && type !== 'FieldsV1')
      out.push(
        finding(
          'invalid-managed-fields',
          `${base}/fieldsType`,
          `metadata.managedFields[${i}].fieldsType: Invalid value: "${type}": must be \`FieldsV1\``,
        ),
      );
  });
}

/**
 * ValidateObjectMeta for an ImageStream in a file. The namespace is required upstream; in a file a missing one is
 * the namespace `oc apply` would use (the configured default), so only one that is written is judged.
 */
export function checkStreamMetadata(stream: Readonly<Record<string, unknown>>, namespace: string, out: Finding[]): void {
  const meta = metadataOf(stream);
  checkName(meta, nameOf(stream), namespace, out);
  const written = str(meta.namespace);
  if (written !== undefined && written !== '' && !skip(written))
    for (const reason of dns1123LabelReasons(written))
      out.push(finding('invalid-namespace', '/metadata/namespace', `metadata.namespace: Invalid value: "${written}": ${reason}`));
  if (typeof meta.generation === 'number' && meta.generation < 0)
    out.push(
      finding(
        'negative-generation',
        '/metadata/generation',
        `metadata.generation: Invalid value: ${meta.generation}: must be greater than or equal to 0`,
      ),
    );
  checkLabelsAndAnnotations(meta, out);
  checkOwnerReferences(meta, out);
  checkFinalizersAndManagedFields(meta, out);
}
