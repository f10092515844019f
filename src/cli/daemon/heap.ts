/**
 * The daemon's heap kept near what it holds. V8 lets a heap grow to several times its live size before a full
 * collection (a throughput choice for short programs): a daemon whose passes each parse and render thousands of
 * files then sits at hundreds of MiB of garbage between passes (bench scale: 299 MiB of heap used for ~80 MiB
 * live at 10,000 tags, and the resident size with it). Every second, when the heap has grown well past what
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

export interface HeapRule {
  /** Collect when the heap used has grown past this many times what the last collection left. */
  readonly factor: number;
  /** Below this much heap committed, never collect. */
  readonly floorBytes: number;
  /** After this long since the last collection, a tenth more than it left is enough. */
  readonly settleMs: number;
  /** Two samples closer than this (heap used) mean the process is idle. */
  readonly quietBytes: number;
}

export interface HeapState {
  /** Heap used right after the last collection. */
  readonly live: number;
  readonly at: number;
  /** Heap used at the previous sample. */
  readonly previous: number;
  /** Whether a collection ran since the process was last busy. */
  readonly collectedWhileQuiet: boolean;
  /** Passes finished at the last collection (when the daemon tells). */
  readonly passesDone?: number;
}

/**
 * Whether to collect now:
 * - the heap has grown well past what the last collection left (`factor`), or a tenth past it once `settleMs` have
 *   gone by (a collection in the middle of a pass sees the pass's own data as live);
 * - or the process has just gone quiet (heap used barely moved since the previous sample) after being busy, and
 *   has not been collected since: once per quiet spell, whatever the last collection saw, so the garbage a pass
 *   leaves (and the memory V8 committed for it) goes at the end of every pass, not only when it has grown.
 */
export function shouldCollect(
  rule: HeapRule,
  state: HeapState,
  sample: { used: number; total: number; passesDone?: number },
  now: number,
): boolean {
  if (sample.total < rule.floorBytes) return false;
  // A pass finished since the last collection: what it left goes now, not once the heap is seen to be quiet.
  if (sample.passesDone !== undefined && sample.passesDone !== state.passesDone) return true;
  if (sample.used >= state.live * rule.factor) return true;
  if (now - state.at >= rule.settleMs && sample.used >= state.live * 1.1) return true;
  return isQuiet(rule, state, sample) && !state.collectedWhileQuiet;
}

/** Heap used barely moved since the previous sample: the process is idle. */
function isQuiet(rule: HeapRule, state: HeapState, sample: { used: number }): boolean {
  return Math.abs(sample.used - state.previous) < rule.quietBytes;
}

export function settleHeap(
  options: {
    intervalMs?: number;
    /** How many passes have finished (the daemon's status): a finished pass is collected after at the next sample. */
    passesDone?: () => number;
  } & Partial<HeapRule> = {},
): HeapSettler {
  const gc = exposedGc();
  if (!gc) return { stop: () => undefined };
  const rule: HeapRule = {
    factor: options.factor ?? 1.5,
    floorBytes: options.floorBytes ?? 48 << 20,
    settleMs: options.settleMs ?? 10_000,
    quietBytes: options.quietBytes ?? 1 << 20,
  };
  // Starting as collected: a daemon that has not worked yet has nothing to give back.
  const passesDone = options.passesDone ?? (() => 0);
  let state: HeapState = { live: 0, at: 0, previous: 0, collectedWhileQuiet: true, passesDone: passesDone() };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const sample = { used: m.heapUsed, total: m.heapTotal, passesDone: passesDone() };
    const quiet = isQuiet(rule, state, sample);
    if (!shouldCollect(rule, state, sample, Date.now())) {
      state = { ...state, previous: sample.used, collectedWhileQuiet: state.collectedWhileQuiet && quiet };
      return;
    }
    gc();
    const after = process.memoryUsage().heapUsed;
    state = { live: after, at: Date.now(), previous: after, collectedWhileQuiet: quiet, passesDone: sample.passesDone };
  }, options.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
