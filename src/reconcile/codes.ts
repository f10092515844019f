/**
 * Every diagnostic code imagestreams reports, with its default severity and what it means. `docs/validation.md`
 * lists the same table; a test keeps the two in step.
 */
export type Severity = 'error' | 'warning';

export interface CodeInfo {
  readonly severity: Severity;
  readonly summary: string;
}

export const diagnosticCodes = {
  // Reading files (src/render).
  'read-error': { severity: 'error', summary: 'The file could not be read.' },
  'file-too-large': { severity: 'error', summary: 'The file is larger than the configured limit (default 10 MiB).' },
  'invalid-utf8': { severity: 'error', summary: 'The file is not valid UTF-8.' },
  'yaml-syntax': { severity: 'error', summary: 'The YAML does not parse.' },
  'json-syntax': { severity: 'error', summary: 'The JSON does not parse.' },
  'duplicate-key': { severity: 'error', summary: 'A mapping holds the same key twice.' },
  'alias-limit': { severity: 'error', summary: 'YAML aliases expand past the limit (a "billion laughs" document).' },
  'nesting-too-deep': { severity: 'error', summary: 'Collections nest deeper than the configured limit (default 100).' },
  'symlink-outside-repository': { severity: 'error', summary: 'A symbolic link points outside the repository; it is not followed.' },
  'invalid-list-item': {
    severity: 'error',
    summary: 'An item of a List (or a Template object) is not an object with apiVersion and kind.',
  },
  'unknown-api-version': {
    severity: 'warning',
    summary: 'An ImageStream or Template with an apiVersion OpenShift does not serve it under; it is ignored.',
  },
  // JSON Schema (schemas/imagestream.schema.json, schemas/triggers.schema.json).
  'missing-field': { severity: 'error', summary: 'A required field is missing.' },
  'unknown-field': { severity: 'error', summary: 'A field the API does not have (often a typo).' },
  'wrong-type': { severity: 'error', summary: 'A value has the wrong type.' },
  'invalid-value': { severity: 'error', summary: 'A value is not one of those the API allows.' },
  'invalid-format': { severity: 'error', summary: 'A value does not have the required format (e.g. an RFC 3339 time).' },
  schema: { severity: 'error', summary: 'Another JSON Schema violation.' },
  'invalid-from-kind': { severity: 'error', summary: 'spec.tags[].from.kind is not DockerImage, ImageStreamTag or ImageStreamImage.' },
  'invalid-import-mode': { severity: 'error', summary: 'importPolicy.importMode is not Legacy or PreserveOriginal.' },
  'invalid-reference-policy': { severity: 'error', summary: 'referencePolicy.type is not Source or Local.' },
  // ImageStream rules (semantics.md §1.9, §2, §3).
  'missing-name': { severity: 'error', summary: 'The stream has no metadata.name (generateName cannot work in a repository).' },
  'invalid-stream-name': { severity: 'error', summary: 'metadata.name is not a valid image stream name (§1.9).' },
  'name-too-long': { severity: 'error', summary: "'namespace/name' is longer than 255 characters (§1.9)." },
  'invalid-generate-name': { severity: 'error', summary: 'metadata.generateName is not a valid image stream name prefix (§1.9).' },
  'invalid-namespace': { severity: 'error', summary: 'metadata.namespace is not a lowercase RFC 1123 label of at most 63 characters.' },
  'negative-generation': { severity: 'error', summary: 'metadata.generation is negative.' },
  'invalid-label': { severity: 'error', summary: 'A label key is not a qualified name, or its value is not a valid label value.' },
  'invalid-annotation': { severity: 'error', summary: 'An annotation key is not a qualified name.' },
  'annotations-too-large': { severity: 'error', summary: 'The annotations hold more than 256 KiB (keys and values together).' },
  'invalid-owner-reference': {
    severity: 'error',
    summary: 'An owner reference with an empty version, kind, name or uid, an Event owner, or a second controller.',
  },
  'invalid-finalizer': {
    severity: 'error',
    summary: 'A finalizer that is not a qualified name, or orphan together with foregroundDeletion.',
  },
  'invalid-managed-fields': {
    severity: 'error',
    summary: 'A managedFields entry whose operation is not Apply or Update, or fieldsType not FieldsV1.',
  },
  'empty-tag-name': {
    severity: 'error',
    summary: 'A spec or status tag whose name is empty (it could never be addressed as <stream>:<tag>).',
  },
  'duplicate-tag': { severity: 'error', summary: 'Two spec tags have the same name (OpenShift would keep only the last).' },
  'duplicate-status-tag': { severity: 'error', summary: 'Two status tags have the same name.' },
  'duplicate-stream': { severity: 'warning', summary: 'Two files define a stream with the same namespace and name.' },
  'ambiguous-stream': { severity: 'error', summary: 'A reference names a stream that is defined more than once in its namespace.' },
  'missing-from-name': { severity: 'error', summary: 'spec.tags[].from is set but from.name is empty.' },
  'invalid-reference': { severity: 'error', summary: "A DockerImage name that OpenShift's reference parser rejects (§2.1)." },
  'invalid-repository': { severity: 'error', summary: 'spec.dockerImageRepository does not parse as a repository (§1.9).' },
  'repository-with-tag': { severity: 'error', summary: 'spec.dockerImageRepository carries a tag.' },
  'repository-with-id': { severity: 'error', summary: 'spec.dockerImageRepository carries a digest.' },
  'invalid-istag-name': { severity: 'error', summary: 'An ImageStreamTag name is not of the form <tag> or <stream>:<tag> (§2.4, §3.6).' },
  'invalid-isimage-name': { severity: 'error', summary: 'An ImageStreamImage name is not of the form <id> or <stream>@<id> (§2.4, §3.6).' },
  'scheduled-non-docker': {
    severity: 'error',
    summary: 'importPolicy.scheduled on a tag that does not point to a Docker repository (§1.9).',
  },
  'tag-tracks-itself': { severity: 'error', summary: 'An ImageStreamTag tag that points at itself (§13.9).' },
  'tracking-cycle': { severity: 'error', summary: 'ImageStreamTag tags that track each other in a cycle (§13.9).' },
  'invalid-status-reference': { severity: 'error', summary: 'A status item without a non-empty, parseable dockerImageReference (§1.9).' },
  'stream-not-found': { severity: 'warning', summary: 'A tag refers to a stream that is not in the repository.' },
  'tag-not-found': { severity: 'warning', summary: 'A tag refers to a tag that its stream does not have.' },
  'invalid-import-interval': {
    severity: 'warning',
    summary: 'The imagestreams.dev/import-interval annotation is not a duration of at least one minute; the default is used.',
  },
  'invalid-import-schedule': {
    severity: 'error',
    summary:
      'The imagestreams.dev/import-schedule annotation is not a cron expression node-cron reads, or it fires more than once a minute.',
  },
  'import-schedule-conflict': {
    severity: 'error',
    summary: 'A stream sets both imagestreams.dev/import-schedule and imagestreams.dev/import-interval.',
  },
  // Workloads (semantics.md §8, §9, §13.1, §13.6).
  'triggers-invalid-json': { severity: 'error', summary: 'The image.openshift.io/triggers annotation is not valid JSON.' },
  'invalid-trigger': { severity: 'error', summary: 'A trigger entry does not match the annotation schema.' },
  'trigger-duplicate-fieldpath': { severity: 'error', summary: 'Two triggers of one object have the same fieldPath (§9.1).' },
  'duplicate-trigger-target': {
    severity: 'error',
    summary: 'Two triggers of one object set the same container image, in whatever form they name it; the image would flip between them.',
  },
  'trigger-unsupported-kind': { severity: 'error', summary: 'A trigger whose from.kind is not ImageStreamTag.' },
  'trigger-invalid-from-name': { severity: 'error', summary: 'A trigger whose from.name is not <stream>:<tag>.' },
  'trigger-paused-string': { severity: 'warning', summary: 'paused written as a string; upstream rejects the whole annotation (§13.6).' },
  'trigger-not-watched': {
    severity: 'warning',
    summary: 'A trigger with from.apiVersion set; the in-cluster controller does not watch it (§9.2).',
  },
  'trigger-invalid-fieldpath': { severity: 'error', summary: 'A fieldPath outside the grammar OpenShift accepts (§9.5).' },
  'trigger-outside-pod-spec': {
    severity: 'warning',
    summary: "A fieldPath that does not start with the kind's pod spec path; OpenShift ignores it (§9.5).",
  },
  'trigger-documented-selector': {
    severity: 'warning',
    summary: "A name selector in the documentation's quoting, which the in-cluster controller rejects (§13.1).",
  },
  'trigger-container-not-found': {
    severity: 'warning',
    summary: 'A trigger or DeploymentConfig names a container the pod template does not have.',
  },
  'trigger-no-containers': { severity: 'error', summary: 'A DeploymentConfig ImageChange trigger without containerNames.' },
  'trigger-stream-not-found': { severity: 'warning', summary: 'A trigger refers to a stream that is not in the repository.' },
  'trigger-tag-not-found': { severity: 'warning', summary: 'A trigger refers to a tag its stream does not have.' },
  'image-not-a-string': {
    severity: 'error',
    summary: 'A container image in a pod template that is not a string (an unquoted y or no is a YAML 1.1 boolean).',
  },
  'invalid-resolve-names': { severity: 'error', summary: "alpha.image.policy.openshift.io/resolve-names has a value other than '*'." },
  // Setter markers (docs/write-back.md).
  'marker-invalid': {
    severity: 'error',
    summary: 'A {"$imagestreamtag": ...} marker comment that is not valid: bad JSON, a bad stream tag, an unknown part or field.',
  },
  'marker-without-value': {
    severity: 'error',
    summary: 'A marker on a line with no value before it; a marker follows the value it sets, on the same line.',
  },
  'marker-on-key': { severity: 'error', summary: 'A marker after a key whose value is on the next lines; put it after a scalar value.' },
  'marker-on-collection': {
    severity: 'error',
    summary: 'A marker after a flow collection, or on a value inside one; only a scalar written in block style can be set in place.',
  },
  'marker-on-alias': { severity: 'error', summary: 'A marker on an alias or an anchored value; setting it would change other values too.' },
  'marker-in-block-scalar': {
    severity: 'error',
    summary: 'Marker text inside a block scalar (literal or folded): it is content, not a comment, and sets nothing.',
  },
  'marker-stream-not-found': { severity: 'warning', summary: 'A marker names a stream that is not in the repository.' },
  'marker-tag-not-found': { severity: 'warning', summary: 'A marker names a tag that its stream does not have.' },
  'kustomize-images-invalid': {
    severity: 'error',
    summary:
      'The imagestreams.dev/images annotation of a Kustomization is not a JSON array of {name, from: {kind: ImageStreamTag, name}, reference}.',
  },
  'kustomize-stream-not-found': { severity: 'warning', summary: 'A kustomize image follows a stream that is not in the repository.' },
  'kustomize-tag-not-found': { severity: 'warning', summary: 'A kustomize image follows a tag that its stream does not have.' },
  // Tag policies and holds (docs/policies.md).
  'invalid-tag-policy': {
    severity: 'error',
    summary:
      'The imagestreams.dev/policy annotation of a spec tag is not a policy: bad JSON, a bad regular expression or constraint, an unknown order.',
  },
  'tag-policy-not-repository': {
    severity: 'error',
    summary: 'A tag with a policy whose from is not a DockerImage repository reference (by tag).',
  },
  'invalid-hold': { severity: 'error', summary: 'The imagestreams.dev/hold annotation is not "true" or {until, reason, image, since}.' },
  'invalid-min-age': { severity: 'error', summary: 'The imagestreams.dev/min-age annotation is not a Go duration such as 1h or 30m.' },
  'go-template': {
    severity: 'warning',
    summary:
      "The file holds Go template actions ({{ }}) outside quotes (a Helm template); it is not read. Files under a chart's templates/ are skipped silently.",
  },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof diagnosticCodes;

/**
 * A rule's finding about one object, before it has a line and column: the core knows the rule, the render layer
 * knows where the pointer sits in the file.
 */
export interface Finding {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  /** JSON pointer inside the object the finding is about. */
  readonly pointer: string;
  readonly message: string;
  /** Point at the key rather than the value (e.g. an unknown field). */
  readonly atKey?: boolean;
}

export function finding(
  code: DiagnosticCode,
  pointer: string,
  message: string,
  options: { atKey?: boolean; severity?: Severity } = {},
): Finding {
  const base = { code, severity: options.severity ?? diagnosticCodes[code].severity, pointer, message };
  return options.atKey ? { ...base, atKey: true } : base;
}
