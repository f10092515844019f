/**
 * Durations as Go's time.ParseDuration reads them, which is what oc's duration flags take (pflag DurationVar):
 * a sequence of decimal numbers, each with a unit, an optional sign: `90s`, `1m30s`, `1.5h`, `300ms`, `2h45m`, `0`.
 * Units: ns, us (µs, μs), ms, s, m, h. Go has no day unit, and neither has this.
 */
const units: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds (may be fractional below 1 ms), or undefined when Go would refuse the text. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (units[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** How a duration is written in messages and help: Go's own examples. */
export const durationExamples = '300ms, 90s, 1m30s or 2h45m';
