import type { FileChange, PassResult } from './pipeline.js';

const short = (digest: string | undefined): string => (digest ? digest.replace(/^(sha256:)?([a-f0-9]{12})[a-f0-9]*$/, '$1$2') : '(none)');

/** The file part of an object key (`file#document/pointer`). */
const fileOf = (key: string): string => key.slice(0, key.lastIndexOf('#') === -1 ? key.length : key.lastIndexOf('#'));

/**
 * One commit per pass; the message says exactly what the commit holds: tags with old → new digests and workloads
 * rewritten, only for the files in `files` (a file that failed to render or was held back is not in the commit,
 * so its changes are not in the message).
 */
export function commitMessage(result: PassResult, files: readonly Pick<FileChange, 'file'>[] = result.changes): string {
  const inCommit = new Set(files.map((f) => f.file));
  const label = (key: string): string => {
    const s = result.streams.find((x) => x.key === key);
    return s ? `${s.namespace}/${s.name}` : key;
  };
  const streams = result.plan.streams.filter((s) => s.edits.length > 0 && inCommit.has(fileOf(s.stream)));
  const workloads = result.workloads.filter((w) => inCommit.has(fileOf(w.workload)));
  const tagLines = streams.flatMap((s) =>
    s.changes.map(
      (c) =>
        `- ${label(s.stream)}:${c.tag} ${c.kind === 'import-failed' ? `import failed: ${c.detail ?? ''}` : `${short(c.from)} -> ${short(c.to)}${c.kind === 'imported' ? '' : ` (${c.kind})`}`}`,
    ),
  );
  const line = (w: (typeof workloads)[number], c: (typeof w.changes)[number]): string =>
    `- ${result.workloadNames.get(w.workload) ?? w.workload} ${c.path}: ${c.new} (${c.via} ${c.cause})`;
  // Pod templates are workloads; markers and kustomize images are values set in other files (docs/write-back.md).
  const isValue = (via: string): boolean => via === 'marker' || via === 'kustomize';
  const workloadLines = workloads.flatMap((w) => w.changes.filter((c) => !isValue(c.via)).map((c) => line(w, c)));
  const valueLines = workloads.flatMap((w) => w.changes.filter((c) => isValue(c.via)).map((c) => line(w, c)));
  const imported = streams.reduce((n, s) => n + s.changes.filter((c) => c.kind === 'imported').length, 0);
  const parts = [
    imported > 0 ? `${imported} tag${imported === 1 ? '' : 's'} updated` : '',
    workloadLines.length > 0 ? `${workloadLines.length} workload image${workloadLines.length === 1 ? '' : 's'}` : '',
    valueLines.length > 0 ? `${valueLines.length} value${valueLines.length === 1 ? '' : 's'} set` : '',
  ].filter(Boolean);
  const subject = `imagestreams: ${parts.length > 0 ? parts.join(', ') : `${files.length} file${files.length === 1 ? '' : 's'} reconciled`}`;
  const body = [
    ...(tagLines.length ? ['Image streams:', ...tagLines] : []),
    ...(workloadLines.length ? ['', 'Workloads:', ...workloadLines] : []),
    ...(valueLines.length ? ['', 'Markers and kustomize images:', ...valueLines] : []),
  ]
    .join('\n')
    .trim();
  return body ? `${subject}\n\n${body}\n` : `${subject}\n`;
}
