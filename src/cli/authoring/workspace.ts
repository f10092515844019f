/**
 * The authoring verbs' view of a repository: find streams and workloads by namespace and name, change object
 * values, and write the result byte-exactly (or print the diff with --dry-run). Edits are computed as a diff between
 * an object's old and new value, so only what changed is touched.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { diffValues } from '../../reconcile/json-diff.js';
import type { ManifestObject } from '../../reconcile/objects.js';
import { isRecord } from '../../reconcile/objects.js';
import { objectNamespace } from '../../reconcile/accessors.js';
import type { FileChange } from '../../render/edits.js';
import { renderEdits } from '../../render/edits.js';
import { RenderError } from '../../render/patch.js';
import type { ObjectEdit } from '../../reconcile/pass.js';
import { objectKey } from '../../reconcile/pass.js';
import type { LoadedRepository } from '../../render/repository.js';
import { loadRepository } from '../../render/repository.js';
import type { Config } from '../config.js';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { writeAll } from '../write-files.js';

export class Workspace {
  private readonly pending = new Map<ManifestObject, Record<string, unknown>>();
  private readonly created = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly repo: LoadedRepository,
    readonly defaultNamespace: string,
    private readonly cwd: string,
    private readonly maxFileBytes: number,
  ) {}

  static async open(dir: string, config: Config, cwd: string): Promise<Workspace> {
    const repo = await loadRepository([dir], { walk: config.walk, limits: config.limits, displayBase: cwd });
    return new Workspace(dir, repo, config.settings.defaultNamespace, cwd, config.limits.maxFileBytes);
  }

  namespaceOf(o: ManifestObject): string {
    return objectNamespace(o, this.defaultNamespace);
  }

  /** Objects of a kind (and name) in a namespace; Template objects are never targets of a verb. */
  find(kind: string, namespace: string, name?: string): ManifestObject[] {
    return this.repo.objects.filter((o) => {
      if (o.kind !== kind || o.template || this.namespaceOf(o) !== namespace) return false;
      const metadata = isRecord(o.value.metadata) ? o.value.metadata : {};
      return name === undefined || metadata.name === name;
    });
  }

  /** Exactly one object, or a usage error that says why not. */
  one(kind: string, namespace: string, name: string): ManifestObject | undefined {
    const found = this.find(kind, namespace, name);
    if (found.length > 1) {
      throw new UsageError(
        `${kind} ${namespace}/${name} is defined ${found.length} times in the repository (${found.map((o) => o.location.file).join(', ')}); which one is meant is ambiguous`,
      );
    }
    return found[0];
  }

  /** The value an object will have (after earlier changes in this run). */
  valueOf(o: ManifestObject): Record<string, unknown> {
    return this.pending.get(o) ?? (structuredClone(o.value) as Record<string, unknown>);
  }

  update(o: ManifestObject, value: Record<string, unknown>): void {
    this.pending.set(o, value);
  }

  /** A new file holding one object (the verbs that create a stream). */
  create(relativePath: string, value: Record<string, unknown>): void {
    const file = path.resolve(this.dir, relativePath);
    if (this.repo.files.has(path.relative(this.cwd, file).split(path.sep).join('/')))
      throw new UsageError(`${relativePath} already exists; choose another --file`);
    const text = relativePath.endsWith('.json')
      ? `${JSON.stringify(value, null, 2)}\n`
      : stringify(value, { indent: 2, lineWidth: 0, version: '1.1' });
    this.created.set(file, text);
  }

  /** Render every change (the same renderer as the pass); returns the file changes, or throws RenderError. */
  render(): FileChange[] {
    const byFile = new Map<string, ObjectEdit[]>();
    for (const [o, value] of this.pending) {
      const edits = diffValues(o.value, value);
      if (edits.length === 0) continue;
      const list = byFile.get(o.location.file) ?? [];
      for (const e of edits)
        list.push({ document: o.location.documentIndex, op: { ...e, path: o.location.pointer + e.path }, object: objectKey(o) });
      byFile.set(o.location.file, list);
    }
    const targets = [...byFile.entries()].map(([file, edits]) => ({ file, edits }));
    // Never write what the next read would refuse (limits.maxFileBytes is the read limit).
    const { changes, failures } = renderEdits(this.repo.files, targets, { displayBase: this.cwd, maxBytes: this.maxFileBytes });
    const failed = failures[0];
    if (failed) throw new RenderError(failed.file, failed.code, failed.error);
    const out: FileChange[] = [...changes];
    for (const [absolute, text] of this.created)
      out.push({
        file: path.relative(this.cwd, absolute).split(path.sep).join('/'),
        absolute,
        before: '',
        after: text,
        edits: [],
        created: true,
      });
    return out.sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  /** Write (or, with dryRun, print the diff). Returns the number of files changed. */
  async commit(io: CliIo, dryRun: boolean): Promise<number> {
    const changes = this.render();
    if (dryRun) {
      for (const c of changes)
        io.stdout(
          createTwoFilesPatch(c.created ? '/dev/null' : `a/${c.file}`, `b/${c.file}`, c.before, c.after, undefined, undefined, {
            context: 3,
          }).replace(/^=+\n/, ''),
        );
      return changes.length;
    }
    const existing = changes.filter((c) => !c.created);
    await writeAll(existing);
    for (const c of changes.filter((x) => x.created)) {
      await mkdir(path.dirname(c.absolute), { recursive: true });
      await writeFile(c.absolute, c.after, { encoding: 'utf8', flag: 'wx' });
    }
    return changes.length;
  }
}

/** `ns/name` or `name` (namespace from -n / the configured default). */
export function splitNamespaced(text: string, namespace: string): { namespace: string; name: string } {
  const i = text.indexOf('/');
  return i === -1 ? { namespace, name: text } : { namespace: text.slice(0, i), name: text.slice(i + 1) };
}
