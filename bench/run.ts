/**
 * Benchmarks: each prints its figures and ratios against a baseline measured in the same run. Nothing here is
 * asserted by tests; speed goals are read off these numbers.
 *
 *   npm run bench              all benchmarks
 *   npm run bench -- validate  one of them (validate, import, import-dedupe, plan, render, warm-pass, daemon, large, git-commit,
 *                              cli, rate-limit, scale)
 */
import { daemonBench } from './daemon.js';
import { importRegistry } from './import.js';
import { largeStream } from './large-stream.js';
import { planRender } from './plan.js';
import { validateCorpus } from './validate.js';

const all: Record<string, () => Promise<void>> = {
  validate: validateCorpus,
  import: importRegistry,
  'import-dedupe': async () => (await import('./import-dedupe.js')).importDedupe(),
  plan: planRender,
  render: async () => (await import('./render.js')).renderBench(),
  'warm-pass': async () => (await import('./warm-pass.js')).warmPassBench(),
  daemon: daemonBench,
  large: largeStream,
  'git-commit': async () => (await import('./git-commit.js')).gitCommitBench(),
  cli: async () => (await import('./cli-baseline.js')).cliBaseline(),
  'rate-limit': async () => (await import('./rate-limit.js')).rateLimitBench(),
  scale: async () => (await import('./scale.js')).scaleBench(),
  'policy-checks': async () => (await import('./policy-checks.js')).policyChecksBench(),
};
const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !(a in all));
if (unknown.length > 0) {
  // An unknown name used to run every benchmark (scale alone takes a quarter of an hour).
  console.error(`unknown benchmark: ${unknown.join(', ')}; the benchmarks are: ${Object.keys(all).join(', ')}`);
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : Object.keys(all)) await all[name]?.();
