/**
 * The repository a fault schedule runs against, and the edits people make to it with the git CLI. Streams follow
 * the registry through the fault proxy (`host`), so every import the daemon makes can be faulted; a YAML stream
 * with a tracking tag and a reference tag, a JSON stream, two Deployments with triggers, and files that are none of
 * the daemon's business (a ConfigMap, notes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HumanEdit } from './schedule.js';
import { targets } from './schedule.js';

export const streamFiles = { app: 'streams/app.yaml', worker: 'streams/worker.json', tools: 'streams/tools.yaml' } as const;

const tagBlock = (name: string, from: string, indent = '  '): string =>
  `${indent}- name: ${name}\n${indent}  from:\n${indent}    kind: DockerImage\n${indent}    name: ${from}\n${indent}  importPolicy:\n${indent}    insecure: true\n`;

export function pullSpec(host: string, target: number): string {
  const t = targets[target];
  if (!t) throw new Error(`no target ${target}`);
  return `${host}/${t.repository}:${t.tag}`;
}

export function initialFiles(host: string): Record<string, string> {
  const app = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: prod
  annotations:
    description: the application
spec:
  tags:
${tagBlock('live', pullSpec(host, 0))}${tagBlock('canary', pullSpec(host, 1))}  - name: current
    from:
      kind: ImageStreamTag
      name: app:live
`;
  const worker = `${JSON.stringify(
    {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStream',
      metadata: { name: 'worker', namespace: 'prod' },
      spec: { tags: [{ name: 'live', from: { kind: 'DockerImage', name: pullSpec(host, 2) }, importPolicy: { insecure: true } }] },
    },
    null,
    2,
  )}\n`;
  const tools = `# Tools the jobs use.
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: tools
  namespace: prod
  annotations:
    owner: platform
spec:
  tags:
${tagBlock('stable', pullSpec(host, 3))}  - name: pinned
    reference: true
    from:
      kind: DockerImage
      name: registry.example.com/tools/pinned:1.0
`;
  const deployment = (name: string, tag: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: prod
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"${tag}"},"fieldPath":"spec.template.spec.containers[0].image"}]'
spec:
  template:
    spec:
      containers:
      - name: ${name}
        image: ${name}:dev
`;
  return {
    [streamFiles.app]: app,
    [streamFiles.worker]: worker,
    [streamFiles.tools]: tools,
    'apps/app.yaml': deployment('app', 'app:live'),
    'apps/worker.yaml': deployment('worker', 'worker:live'),
    'config/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n  greeting: hello\n',
    'docs/notes.md': '# Notes\n',
  };
}

function insertAfterFirst(text: string, line: string, insert: string, file: string): string {
  const i = text.indexOf(`\n${line}\n`);
  if (i < 0) throw new Error(`${file}: no line "${line}" to insert after`);
  const at = i + line.length + 2;
  return text.slice(0, at) + insert + text.slice(at);
}

/** Make a person's edit in a working tree (text edits for YAML, as a person would; JSON re-serialized). */
export function applyEdit(dir: string, edit: HumanEdit, host: string): void {
  const file = (rel: string): string => path.join(dir, rel);
  switch (edit.kind) {
    case 'note': {
      const p = file('docs/notes.md');
      writeFileSync(p, `${readFileSync(p, 'utf8')}- ${edit.line}\n`);
      return;
    }
    case 'config-key': {
      const p = file('config/settings.yaml');
      writeFileSync(p, `${readFileSync(p, 'utf8')}  ${edit.key}: "${edit.value}"\n`);
      return;
    }
    case 'annotation': {
      const rel = streamFiles[edit.stream];
      writeFileSync(
        file(rel),
        insertAfterFirst(readFileSync(file(rel), 'utf8'), '  annotations:', `    ${edit.key}: "${edit.value}"\n`, rel),
      );
      return;
    }
    case 'spec-tag': {
      const rel = streamFiles[edit.stream];
      const from = pullSpec(host, edit.target);
      if (rel.endsWith('.json')) {
        const doc = JSON.parse(readFileSync(file(rel), 'utf8')) as { spec: { tags: unknown[] } };
        doc.spec.tags.unshift({ name: edit.name, from: { kind: 'DockerImage', name: from }, importPolicy: { insecure: true } });
        writeFileSync(file(rel), `${JSON.stringify(doc, null, 2)}\n`);
      } else {
        // First in the list, far from the status the daemon writes at the end of the file.
        writeFileSync(file(rel), insertAfterFirst(readFileSync(file(rel), 'utf8'), '  tags:', tagBlock(edit.name, from), rel));
      }
      return;
    }
  }
}

export function describeEdit(edit: HumanEdit): string {
  switch (edit.kind) {
    case 'note':
      return 'notes: add a line';
    case 'config-key':
      return `settings: add ${edit.key}`;
    case 'annotation':
      return `${edit.stream}: annotate ${edit.key}`;
    case 'spec-tag':
      return `${edit.stream}: add spec tag ${edit.name}`;
  }
}
