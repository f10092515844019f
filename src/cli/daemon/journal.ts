/**
 * Accepted work that must not be lost: a registry notification or a forge webhook answered 202 is written here
 * (atomically, fsync'd) before the answer goes out, and stays until a pass that covers it has landed (committed
 * and pushed, or found nothing to change). Kept in the daemon's state directory, so it survives failed passes,
 * restarts and SIGKILL; delivery to the pass is at-least-once, and replaying an item is harmless (a forced import
 * of a tag whose digest is already recorded changes nothing).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { PushedImage } from '../../reconcile/registry-events.js';
import { pushedSources } from '../../reconcile/registry-events.js';

export interface PendingWork {
  readonly id: string;
  readonly source: 'registry' | 'git';
  /** RFC 3339. */
  readonly acceptedAt: string;
  readonly pushes: readonly PushedImage[];
  /** Passes that ran with this item and did not land it. */
  readonly attempts: number;
}

export class WorkJournal {
  private items: PendingWork[] = [];
  /** Set when the file on disk could not be read and was moved aside (reported once by the caller). */
  corruptFile: string | undefined;

  private constructor(private readonly file: string) {}

  /** Open (or start) the journal at `file`; an unreadable file is moved aside, never silently dropped. */
  static open(file: string): WorkJournal {
    const journal = new WorkJournal(file);
    mkdirSync(path.dirname(file), { recursive: true });
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as { items?: unknown };
        if (!Array.isArray(parsed.items)) throw new Error('no items');
        journal.items = parsed.items as PendingWork[];
      } catch {
        journal.corruptFile = `${file}.corrupt-${randomBytes(3).toString('hex')}`;
        renameSync(file, journal.corruptFile);
      }
    }
    return journal;
  }

  get size(): number {
    return this.items.length;
  }

  pending(): readonly PendingWork[] {
    return this.items;
  }

  /** Record accepted work; returns once it is on disk. */
  add(source: PendingWork['source'], pushes: readonly PushedImage[], acceptedAt: string): PendingWork {
    const item: PendingWork = { id: `${acceptedAt}-${randomBytes(4).toString('hex')}`, source, acceptedAt, pushes, attempts: 0 };
    this.items = [...this.items, item];
    this.persist();
    return item;
  }

  /** Remove landed items; count one more attempt on the others that took part in the pass. */
  settle(landed: ReadonlySet<string>, tried: ReadonlySet<string>): void {
    if (landed.size === 0 && tried.size === 0) return;
    this.items = this.items.filter((i) => !landed.has(i.id)).map((i) => (tried.has(i.id) ? { ...i, attempts: i.attempts + 1 } : i));
    this.persist();
  }

  private persist(): void {
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ version: 1, items: this.items })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}

/** `host/repository:tag`, or `host/repository@digest` for a push by digest. */
export function pushName(p: PushedImage): string {
  return `${p.host}/${p.repository}${p.tag !== undefined ? `:${p.tag}` : p.digest !== undefined ? `@${p.digest}` : ''}`;
}

/**
 * Which accepted work a landed pass covered: every import it forced succeeded (or it matched no tag). Work whose
 * import failed stays for the next pass, until `max` passes have failed it (then it is given up, and reported).
 */
export function coverage(
  batch: readonly PendingWork[],
  imports: ReadonlyArray<{ readonly from: string; readonly result: { readonly ok: boolean } }>,
  sameHost: (a: string, b: string) => boolean,
  max: number,
): { landed: Set<string>; failed: Set<string>; givenUp: PendingWork[] } {
  const landed = new Set<string>();
  const failed = new Set<string>();
  const givenUp: PendingWork[] = [];
  for (const item of batch) {
    const covers = pushedSources(item.pushes, sameHost);
    const covered = item.pushes.length === 0 ? [] : imports.filter((i) => covers(i.from));
    const ok = covered.every((i) => i.result.ok);
    // A deferred import (the registry's budget) is not an attempt: the work stays, its attempts unchanged.
    if (!ok && covered.every((i) => i.result.ok || 'deferred' in i.result)) continue;
    if (ok) landed.add(item.id);
    else if (item.attempts + 1 >= max) {
      landed.add(item.id);
      givenUp.push(item);
    } else failed.add(item.id);
  }
  return { landed, failed, givenUp };
}
