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
  it('keeps source files small (under 450 lines)', () => {
    const big = files.filter((f) => readFileSync(path.join(src, f), 'utf8').split('\n').length > 450);
    expect(big).toEqual([]);
  });
});
