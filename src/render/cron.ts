/**
 * Cron schedules (`imagestreams.dev/import-schedule`) at the edge: node-cron parses the expression, and the next
 * occurrence after a time is walked over its parsed fields (node-cron has no "next run after T"). The core gets
 * this as an injected ScheduleParser (due.ts), as it gets the trigger schema check.
 */
import { validateDetailed } from 'node-cron';
import type { ParsedFields } from 'node-cron';
import type { ScheduleParser } from '../reconcile/due.js';

const dayMs = 86_400_000;
const lastDayOfMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** node-cron's day-of-month tokens: a day, `L`, `L-n`, `nW` / `LW` (the weekday nearest to that day). */
function dayOfMonthMatches(field: ParsedFields['dayOfMonth'], year: number, month: number, day: number): boolean {
  const last = lastDayOfMonth(year, month);
  return field.some((v) => {
    if (v === day) return true;
    if (typeof v !== 'string') return false;
    if (v === 'L') return day === last;
    const near = /^(\d{1,2}|L)W$/.exec(v);
    if (near) {
      const target = near[1] === 'L' ? last : Number(near[1]);
      if (target < 1 || target > last) return false;
      const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
      const nearest =
        weekday === 6 ? (target === 1 ? 3 : target - 1) : weekday === 0 ? (target === last ? target - 2 : target + 1) : target;
      return nearest === day;
    }
    const offset = /^L-(\d{1,2})$/.exec(v);
    return offset !== null && last - Number(offset[1]) >= 1 && last - Number(offset[1]) === day;
  });
}

/** node-cron's day-of-week tokens: a weekday (0 = Sunday), `nL` (the last one of the month), `n#k` (the k-th). */
function dayOfWeekMatches(field: ParsedFields['dayOfWeek'], year: number, month: number, day: number): boolean {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return field.some((v) => {
    if (v === weekday) return true;
    if (typeof v !== 'string') return false;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth) return Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2]);
    const lastOf = /^([0-7])L$/i.exec(v);
    return lastOf !== null && Number(lastOf[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month);
  });
}

/** The first time of the fields strictly after `afterMs` (whole seconds, UTC), looking up to 100 years ahead. */
function nextOccurrence(fields: ParsedFields, afterMs: number): number | undefined {
  const asc = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  const times = asc(fields.hour).flatMap((h) => asc(fields.minute).flatMap((m) => asc(fields.second).map((s) => h * 3600 + m * 60 + s)));
  const from = Math.floor(afterMs / 1000) * 1000 + 1000;
  let dayStart = Math.floor(from / dayMs) * dayMs;
  for (let i = 0; i < 366 * 100; i += 1, dayStart += dayMs) {
    const date = new Date(dayStart);
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (
      !fields.month.includes(month) ||
      !dayOfMonthMatches(fields.dayOfMonth, year, month, day) ||
      !dayOfWeekMatches(fields.dayOfWeek, year, month, day)
    )
      continue;
    const lower = i === 0 ? (from - dayStart) / 1000 : 0;
    const second = times.find((t) => t >= lower);
    if (second !== undefined) return dayStart + second * 1000;
  }
  return undefined;
}

/**
 * `imagestreams.dev/import-schedule`, as node-cron 4 reads a cron expression (5 fields, or 6 with seconds first;
 * names, ranges, steps, `L`, `W`, `#`, `@daily`; both day fields must match), evaluated in UTC. A schedule that
 * would fire more than once a minute is refused, as an interval under a minute is. Injected into the core.
 */
export const parseCronSchedule: ScheduleParser = (expression) => {
  let result: ReturnType<typeof validateDetailed>;
  try {
    result = validateDetailed(expression);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const fields = result.fields;
  if (!result.valid || !fields) return { ok: false, error: result.errors.map((e) => e.message).join('; ') || 'not a cron expression' };
  if (fields.second.length > 1) return { ok: false, error: 'it fires more than once a minute (imports are checked at most once a minute)' };
  return { ok: true, schedule: { next: (afterMs) => nextOccurrence(fields, afterMs) } };
};

/** Every rule over a loaded repository: schema, streams, workloads. Returns all diagnostics, sorted. */
