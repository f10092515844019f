/**
 * A pass outside every commit window (config `commitWindows`, src/reconcile/commit-window.ts): it imports and
 * reports, lands nothing, and says when the window opens. Accepted work stays in the journal and the tags it checked
 * are not marked as checked, so the first pass once a window opens does all of it.
 */
import { commitWindow } from '../../reconcile/commit-window.js';
import type { Schedule } from '../../reconcile/due.js';
import { rfc3339 } from '../clock.js';
import type { PassResult } from '../pipeline.js';

export async function outsideWindow(
  windows: readonly Schedule[],
  nowMs: number,
  pass: () => Promise<PassResult>,
): Promise<{ fields: Record<string, unknown>; message: string; opensAt: number | undefined } | undefined> {
  const window = commitWindow(windows, nowMs);
  if (window.open) return undefined;
  const r = await pass();
  const n = r.changes.length;
  return {
    fields: {
      files: r.changes.map((c) => c.file),
      imports: r.imports.length,
      opensAt: window.opensAt === undefined ? undefined : rfc3339(window.opensAt),
    },
    message: `outside the commit window: ${n} file${n === 1 ? '' : 's'} would change; they land when it opens`,
    opensAt: window.opensAt,
  };
}
