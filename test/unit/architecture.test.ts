/** The layering of docs/architecture.md, checked on every import in src/. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'));
const layer = (file: string): string => file.split('/')[0] ?? '';
const imports = (file: string): string[] =>
  [...readFileSync(path.join(src, file), 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');

describe('architecture', () => {
  it('the core imports nothing outside itself and no node: modules', () => {
    const bad = files
      .filter((f) => layer(f) === 'reconcile')
      .flatMap((f) => imports(f).filter((i) => !i.startsWith('./')).map((i) => `${f} imports ${i}`));
    expect(bad).toEqual([]);
  });
  it('the core reads no clock, environment or console', () => {
    const bad = files
      .filter((f) => layer(f) === 'reconcile')
      .filter((f) => /\b(Date\.now|new Date\(\)|process\.|console\.|Math\.random)/.test(readFileSync(path.join(src, f), 'utf8')));
    expect(bad).toEqual([]);
  });
  it('an edge never imports another edge, and nothing imports the CLI', () => {
    const edges = new Set(['render', 'import', 'gitsource']);
    const bad = files.flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('.'))
        .map((i) => path.posix.normalize(path.posix.join(path.posix.dirname(f), i)))
        .filter((target) => (edges.has(layer(f)) && edges.has(layer(target)) && layer(target) !== layer(f)) || (layer(target) === 'cli' && layer(f) !== 'cli'))
        .map((target) => `${f} imports ${target}`),
    );
    expect(bad).toEqual([]);
  });
  it('one place maps failures to exit codes: no command translates an edge error on its own', () => {
    const text = (f: string): string => readFileSync(path.join(src, f), 'utf8');
    const cli = files.filter((f) => layer(f) === 'cli' && f !== 'cli/failures.ts');
    // Rewrapping an edge error's message as a usage error, or testing for the credentials error, is failures.ts's job.
    expect(cli.filter((f) => /throw new UsageError\(\s*(err|e|error)\.message/.test(text(f)))).toEqual([]);
    expect(cli.filter((f) => /instanceof CredentialError/.test(text(f)))).toEqual([]);
    // Exit 70 is for bugs only, and only main.ts prints it.
    expect(cli.filter((f) => f !== 'cli/main.ts' && /ExitCode\.internal/.test(text(f)))).toEqual([]);
    expect(text('cli/main.ts')).toMatch(/describeFailure\(err\)/);
  });
  it('the daemon loop reaches the outside only through its seams (no process signals, listening or env in the loop)', () => {
    const loop = files.filter((f) => f.startsWith('cli/daemon/') && f !== 'cli/daemon/http.ts');
    const bad = loop.filter((f) => /process\.(on|once|env|exit|kill)\b|\.listen\(/.test(readFileSync(path.join(src, f), 'utf8')));
    expect(bad).toEqual([]);
  });
  it('the pass and the authoring verbs share one edit renderer (src/render/edits.ts)', () => {
    const text = (f: string): string => readFileSync(path.join(src, f), 'utf8');
    const callers = files.filter((f) => /\bapplyPatches\(/.test(text(f)) && !f.startsWith('render/patch'));
    expect(callers).toEqual(['render/edits.ts']);
    expect(text('cli/pipeline.ts')).toMatch(/renderEdits\(/);
    expect(text('cli/authoring/workspace.ts')).toMatch(/renderEdits\(/);
  });
  it('the pass is decided in the core: the pipeline only sequences I/O', () => {
    const text = readFileSync(path.join(src, 'cli/pipeline.ts'), 'utf8');
    for (const call of ['selectPassInputs(', 'importsToRun(', 'planPass(', 'renderEdits(']) expect(text).toContain(call);
    // No rule of its own: no direct use of the planners, the due rule or object accessors.
    expect(text).not.toMatch(/\b(dueImports|planWorkloads|objectNamespace|holdsTemplateParameter|podSpecSegments)\b/);
    const valueImports = [...text.matchAll(/^import \{[^}]*\} from '\.\.\/reconcile\/([a-z-]+)\.js';$/gm)].map((m) => m[1]);
    expect(valueImports).toEqual(['pass']);
  });
  it('keeps source files small (under 450 lines)', () => {
    const big = files.filter((f) => readFileSync(path.join(src, f), 'utf8').split('\n').length > 450);
    expect(big).toEqual([]);
  });
});
