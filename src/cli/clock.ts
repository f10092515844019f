/** The shell's clock and its durations: the one place `--now` and `30s`-style flags are read. */
import { UsageError } from './exit-codes.js';

/** RFC 3339 in UTC to the second, as OpenShift writes times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `--now TIME` (RFC 3339), or the current time; normalized to UTC seconds. */
export function parseNow(value: string | undefined, flag = '--now'): string {
  if (value === undefined) return rfc3339(Date.now());
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(ms)) {
    throw new UsageError(`${flag}: "${value}" is not an RFC 3339 time such as 2024-05-01T12:00:00Z`);
  }
  return rfc3339(ms);
}

/** `500ms`, `30s`, `5m`, `1h`. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: "${value}" is not a duration such as 500ms, 30s, 5m or 1h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
