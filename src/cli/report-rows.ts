/**
 * What a pass did, as rows for people: one per stream tag changed, per workload image, per value set by a marker or
 * a kustomization, and per thing left alone with its reason. The Markdown body (pull requests, `reconcile -o
 * markdown`) and the GitHub annotations (`reconcile -o github`) are both drawn from these rows, so they always agree.
 */
import { statusTagsOf } from '../reconcile/accessors.js';
import type { FileChange, PassResult } from './pipeline.js';

export interface TagRow {
  readonly file: string;
  readonly line: number | undefined;
  readonly stream: string;
  readonly tag: string;
  readonly old: string | undefined;
  readonly new: string | undefined;
  readonly created: string | undefined;
  readonly source: string;
  /** `imported`, `tracked`, `derived`, or `import-failed` (then `detail` says why). */
  readonly kind: string;
  readonly detail: string | undefined;
}

export interface ImageRow {
  readonly file: string;
  readonly line: number | undefined;
  /** `Kind namespace/name` for a workload; the pointer for a marker or a kustomization entry. */
  readonly object: string;
  readonly container: string | undefined;
  readonly old: string;
  readonly new: string;
  readonly cause: string;
  readonly via: string;
}

export interface ProblemRow {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly what: string;
  readonly code: string;
  readonly reason: string;
  readonly severity: 'error' | 'warning';
}

/** A policy's choice, a hold the pass placed, or a new image pending until it is old enough (docs/policies.md). */
export interface DecisionRow {
  readonly file: string;
  readonly line: number | undefined;
  /** `namespace/stream:tag`. */
  readonly tag: string;
  readonly what: 'policy' | 'hold' | 'pending';
  readonly detail: string;
}

export interface ReportRows {
  readonly tags: readonly TagRow[];
  /** Policy choices, holds placed and pending images. */
  readonly decisions: readonly DecisionRow[];
  readonly workloads: readonly ImageRow[];
  /** Setter markers and kustomize images (docs/write-back.md). */
  readonly values: readonly ImageRow[];
  readonly problems: readonly ProblemRow[];
}

/** The file part of an object key (`file#document/pointer`), and its document index. */
export function splitKey(key: string): { file: string; document: number; pointer: string } {
  const i = key.lastIndexOf('#');
  if (i === -1) return { file: key, document: 0, pointer: '' };
  const rest = key.slice(i + 1);
  const m = /^(\d+)(.*)$/.exec(rest);
  return { file: key.slice(0, i), document: m ? Number(m[1]) : 0, pointer: m ? (m[2] ?? '') : rest };
}

/** The 1-based line of a pointer in a file the pass read (the nearest enclosing value when it is missing). */
export function lineOf(result: PassResult, file: string, document: number, pointer: string): number | undefined {
  const f = result.files.get(file);
  const doc = f?.documents.find((d) => d.index === document);
  const range = doc?.positions.get(pointer) ?? doc?.positions.nearest(pointer);
  return range && f ? f.lines.position(range.keyStart ?? range.start).line : undefined;
}

/** The parsed value at a pointer of a document, as the file is before the pass. */
export function valueAt(result: PassResult, file: string, document: number, pointer: string): unknown {
  let v: unknown = result.files.get(file)?.documents.find((d) => d.index === document)?.value;
  for (const part of pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')))
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** The first line the pass edits in an object (where its change shows in a diff). */
function firstEditLine(result: PassResult, key: string, changes: readonly FileChange[]): number | undefined {
  const { file } = splitKey(key);
  const edit = changes.find((c) => c.file === file)?.edits.find((e) => e.object === key);
  return edit ? lineOf(result, file, edit.document, edit.op.path) : undefined;
}

const isValue = (via: string): boolean => via === 'marker' || via === 'kustomize';

/**
 * The rows of a pass. With `files`, only what those files hold (a commit that left a file out says nothing about it);
 * problems are always all reported.
 */
export function reportRows(result: PassResult, files?: ReadonlySet<string>): ReportRows {
  const keep = (file: string): boolean => files === undefined || files.has(file);
  const stream = (key: string) => result.streams.find((x) => x.key === key);
  const tags: TagRow[] = [];
  for (const s of result.plan.streams) {
    const { file } = splitKey(s.stream);
    if (s.edits.length === 0 || !keep(file)) continue;
    const named = stream(s.stream);
    const statusTags = statusTagsOf(s.value);
    for (const c of s.changes) {
      const imported = result.imports.find((i) => i.stream === s.stream && i.tag === c.tag);
      const item = statusTags.find((t) => t.tag === c.tag)?.items?.[0];
      tags.push({
        file,
        line: firstEditLine(result, s.stream, result.changes),
        stream: named ? `${named.namespace}/${named.name}` : s.stream,
        tag: c.tag,
        old: c.from,
        new: c.to,
        created: c.kind === 'import-failed' ? undefined : item?.created,
        source: imported?.from ?? c.detail ?? c.kind,
        kind: c.kind,
        detail: c.detail,
      });
    }
  }
  const workloads: ImageRow[] = [];
  const values: ImageRow[] = [];
  for (const w of result.workloads) {
    const { file, document, pointer } = splitKey(w.workload);
    if (!keep(file)) continue;
    const name = result.workloadNames.get(w.workload) ?? w.workload;
    const object = name.startsWith(`${file}: `) ? name.slice(file.length + 2) : name;
    for (const c of w.changes) {
      const absolute = isValue(c.via) ? c.path : `${pointer}${c.path}`;
      const container = isValue(c.via) ? undefined : valueAt(result, file, document, absolute.replace(/\/image$/, '/name'));
      (isValue(c.via) ? values : workloads).push({
        file,
        line: lineOf(result, file, document, absolute),
        object: isValue(c.via) ? c.path : object,
        container: typeof container === 'string' ? container : undefined,
        old: c.old,
        new: c.new,
        cause: c.cause,
        via: c.via,
      });
    }
  }
  const problems: ProblemRow[] = [];
  const errorsByFile = new Map<string, (typeof result.diagnostics)[number][]>();
  for (const d of result.diagnostics) if (d.severity === 'error') errorsByFile.set(d.file, [...(errorsByFile.get(d.file) ?? []), d]);
  for (const [file, list] of errorsByFile) {
    const first = list[0] as (typeof list)[number];
    const more = list.length > 1 ? ` (and ${list.length - 1} more error${list.length === 2 ? '' : 's'})` : '';
    problems.push({ file, line: first.line, what: file, code: first.code, reason: `${first.message}${more}`, severity: 'error' });
  }
  for (const s of result.skips) {
    if (s.code === 'invalid-file') continue; // the file's own errors are listed above
    const { file, document, pointer } = splitKey(s.stream);
    const named = stream(s.stream);
    const what = `${named ? `${named.namespace}/${named.name}` : s.stream}${s.tag ? `:${s.tag}` : ''}`;
    problems.push({ file, line: lineOf(result, file, document, pointer), what, code: s.code, reason: s.reason, severity: 'warning' });
  }
  for (const s of result.workloadSkips) {
    const { file, document, pointer } = splitKey(s.workload);
    const name = result.workloadNames.get(s.workload) ?? s.workload;
    const what = name.startsWith(`${file}: `) ? name.slice(file.length + 2) : name;
    problems.push({ file, line: lineOf(result, file, document, pointer), what, code: s.code, reason: s.reason, severity: 'warning' });
  }
  for (const i of result.imports) {
    if (!('failure' in i.result)) continue;
    const { file, document, pointer } = splitKey(i.stream);
    const named = stream(i.stream);
    problems.push({
      file,
      line: lineOf(result, file, document, pointer),
      what: `${named ? `${named.namespace}/${named.name}` : i.stream}${i.tag ? `:${i.tag}` : ''} from ${i.from}`,
      code: `import-${i.result.failure.reason}`,
      reason: i.result.failure.message,
      severity: 'warning',
    });
  }
  for (const e of result.renderErrors)
    problems.push({ file: e.file, line: undefined, what: e.file, code: `render-${e.code}`, reason: e.error, severity: 'error' });
  const decisions: DecisionRow[] = [];
  const nameOf = (key: string): string => {
    const named = stream(key);
    return named ? `${named.namespace}/${named.name}` : key;
  };
  for (const i of result.imports) {
    const { file, document, pointer } = splitKey(i.stream);
    if (!i.policy || !keep(file) || (i.policy.chosen === i.policy.previous && !i.policy.reason.startsWith('held:'))) continue;
    const moved = i.policy.chosen === i.policy.previous ? `stays ${i.policy.chosen}` : `${i.policy.previous} → ${i.policy.chosen}`;
    const next = i.policy.next.length > 0 ? `; next: ${i.policy.next.join(', ')}` : '';
    decisions.push({
      file,
      line: lineOf(result, file, document, pointer),
      tag: `${nameOf(i.stream)}:${i.tag}`,
      what: 'policy',
      detail: `${moved} (${i.policy.reason}${next})`,
    });
  }
  for (const h of result.holds) {
    const s = result.streams.find((x) => h.tag.startsWith(`${x.namespace}/${x.name}:`));
    const at = s ? splitKey(s.key) : undefined;
    if (at && !keep(at.file)) continue;
    decisions.push({
      file: at?.file ?? '',
      line: at ? lineOf(result, at.file, at.document, at.pointer) : undefined,
      tag: h.tag,
      what: 'hold',
      detail: `held at ${h.image}: ${h.reason}`,
    });
  }
  for (const p of result.pending) {
    const { file, document, pointer } = splitKey(p.stream);
    if (!keep(file)) continue;
    decisions.push({
      file,
      line: lineOf(result, file, document, pointer),
      tag: `${nameOf(p.stream)}:${p.tag}`,
      what: 'pending',
      detail: `${p.image}, first seen ${p.since}, adopted from ${p.adoptAt}`,
    });
  }
  return { tags, decisions, workloads, values, problems };
}
