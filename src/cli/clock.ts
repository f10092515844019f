/** The shell's clock and its durations: the one place `--now` and `30s`-style flags are read. */
import { durationExamples, parseGoDuration } from '../reconcile/duration.js';
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

/** A duration flag, in Go's form as oc takes it (`500ms`, `30s`, `1m30s`, `1.5h`); never negative. */
export function parseDuration(value: string, flag: string): number {
  const ms = parseGoDuration(value.trim());
  if (ms === undefined || ms < 0) throw new UsageError(`${flag}: "${value}" is not a duration such as ${durationExamples}`);
  return Math.round(ms);
}
