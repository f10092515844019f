/**
 * The daemon's heap kept near what it holds. V8 lets a heap grow to several times its live size before a full
 * collection (a throughput choice for short programs): a daemon whose passes each parse and render thousands of
 * files then sits at hundreds of MiB of garbage between passes (bench scale: 299 MiB of heap used for ~80 MiB
 * live at 10,000 tags, and the resident size with it). Every few seconds, when the heap has grown well past what
 * the last full collection left, one is run; an idle daemon with nothing to collect costs one memoryUsage() call.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** The `gc` function V8 gives when asked (`--expose-gc`), or undefined if this runtime refuses. */
function exposedGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export interface HeapSettler {
  stop(): void;
}

/**
 * Collect when the heap (past `floorBytes`) has grown past `factor` × the live size the last collection left, or
 * past a tenth more than that once `settleMs` have gone by since it (a collection in the middle of a pass sees the
 * pass's own data as live).
 */
export function settleHeap(options: { intervalMs?: number; factor?: number; floorBytes?: number; settleMs?: number } = {}): HeapSettler {
  const gc = exposedGc();
  if (!gc) return { stop: () => undefined };
  const factor = options.factor ?? 1.5;
  const floor = options.floorBytes ?? 64 << 20;
  const settleMs = options.settleMs ?? 10_000;
  let live = 0;
  let at = 0;
  const timer = setInterval(() => {
    const used = process.memoryUsage().heapUsed;
    if (used < floor || (used < live * factor && (Date.now() - at < settleMs || used < live * 1.1))) return;
    gc();
    live = process.memoryUsage().heapUsed;
    at = Date.now();
  }, options.intervalMs ?? 5000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
