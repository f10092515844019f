/** What one landed pass says in the daemon's log and metrics, import by import (daemon.ts reports the outcome). */
import type { Logger } from 'pino';
import { scheduleKey } from '../../reconcile/due.js';
import { deferralsByRegistry } from '../../reconcile/pass.js';
import { dockerClientDefaults, parseOpenShiftReference } from '../../reconcile/reference.js';
import type { DaemonMetrics } from '../metrics.js';
import type { PassResult } from '../pipeline.js';

/** Logs failures, deferrals, render errors, invalid files, held-back files, policy moves, holds and pending images. */
export function logPass(
  r: PassResult,
  heldBack: readonly string[],
  log: Logger,
  metrics: DaemonMetrics,
  checked: (scheduleKey: string) => void,
): void {
  for (const i of r.imports) {
    const s = r.streams.find((x) => x.key === i.stream);
    const deferred = 'deferred' in i.result; // not checked: it stays due
    if (s && i.tag && !deferred) checked(scheduleKey(s.namespace, s.name, i.tag));
    const parsed = parseOpenShiftReference(i.from);
    const registry = parsed.ok ? dockerClientDefaults(parsed.value).registry : 'invalid';
    metrics.imports.inc({ registry, result: i.result.ok ? 'success' : deferred ? 'deferred' : 'failure' });
    const stream = s ? `${s.namespace}/${s.name}` : i.stream;
    if ('failure' in i.result)
      log.warn({ stream, tag: i.tag, from: i.from, reason: i.result.failure.reason, message: i.result.failure.message }, 'import failed');
    if (i.policy && i.policy.chosen !== i.policy.previous)
      log.info(
        { stream, tag: i.tag, from: i.policy.previous, to: i.policy.chosen, considered: i.policy.considered },
        `policy: ${i.policy.reason}`,
      );
  }
  for (const d of deferralsByRegistry(r.imports))
    log.warn({ registry: d.registry, code: d.code, imports: d.imports, retryAt: d.retryAt }, `imports deferred: ${d.message}`);
  for (const h of r.holds) log.warn({ tag: h.tag, image: h.image }, `hold placed: ${h.reason}`);
  for (const p of r.pending)
    log.info({ stream: p.stream, tag: p.tag, image: p.image, adoptAt: p.adoptAt }, 'new image pending until it is old enough');
  for (const e of r.renderErrors) log.warn({ file: e.file, code: e.code, reason: e.error }, 'file not written: it could not be rendered');
  for (const d of r.diagnostics.filter((x) => x.severity === 'error'))
    log.warn({ file: d.file, line: d.line, col: d.col, code: d.code }, d.message);
  for (const f of heldBack) log.warn({ file: f }, 'left alone: the file has uncommitted edits');
}
