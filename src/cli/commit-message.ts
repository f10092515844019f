import type { PassResult } from './pipeline.js';

const short = (digest: string | undefined): string => (digest ? digest.replace(/^(sha256:)?([a-f0-9]{12})[a-f0-9]*$/, '$1$2') : '(none)');

/** One commit per pass; the message says what changed: tags with old → new digests, workloads rewritten. */
export function commitMessage(result: PassResult): string {
  const label = (key: string): string => {
    const s = result.streams.find((x) => x.key === key);
    return s ? `${s.namespace}/${s.name}` : key;
  };
  const tagLines = result.plan.streams.flatMap((s) =>
    s.changes.map((c) => `- ${label(s.stream)}:${c.tag} ${c.kind === 'import-failed' ? `import failed: ${c.detail ?? ''}` : `${short(c.from)} -> ${short(c.to)}${c.kind === 'imported' ? '' : ` (${c.kind})`}`}`),
  );
  const workloadLines = result.workloads.flatMap((w) => w.changes.map((c) => `- ${result.workloadNames.get(w.workload) ?? w.workload} ${c.path}: ${c.new} (${c.via} ${c.cause})`));
  const imported = result.plan.streams.reduce((n, s) => n + s.changes.filter((c) => c.kind === 'imported').length, 0);
  const parts = [imported > 0 ? `${imported} tag${imported === 1 ? '' : 's'} updated` : '', workloadLines.length > 0 ? `${workloadLines.length} workload image${workloadLines.length === 1 ? '' : 's'}` : ''].filter(Boolean);
  const subject = `imagestreams: ${parts.length > 0 ? parts.join(', ') : `${result.changes.length} file${result.changes.length === 1 ? '' : 's'} reconciled`}`;
  const body = [...(tagLines.length ? ['Image streams:', ...tagLines] : []), ...(workloadLines.length ? ['', 'Workloads:', ...workloadLines] : [])].join('\n').trim();
  return body ? `${subject}\n\n${body}\n` : `${subject}\n`;
}
