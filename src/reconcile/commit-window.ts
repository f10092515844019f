/**
 * Commit windows (docs/policies.md#commit-windows): cron expressions for when the daemon may land changes, such as
 * `* 9-16 * * 1-5` (every minute of 09:00–16:59 on weekdays, UTC). Outside every window a pass still imports and
 * reports, and what it would change lands at the first pass once a window opens. Read minute by minute, as cron is.
 */
import type { Schedule } from './due.js';

export type WindowState = { readonly open: true } | { readonly open: false; readonly opensAt: number | undefined };

/** Whether `nowMs` falls in a minute one of the schedules matches; if not, when the next such minute starts. */
export function commitWindow(windows: readonly Schedule[], nowMs: number): WindowState {
  if (windows.length === 0) return { open: true };
  const minute = Math.floor(nowMs / 60_000) * 60_000;
  if (windows.some((w) => w.next(minute - 1) === minute)) return { open: true };
  const next = windows.map((w) => w.next(nowMs)).filter((t): t is number => t !== undefined);
  return { open: false, opensAt: next.length === 0 ? undefined : Math.min(...next) };
}
