import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnosticCodes } from '../../src/reconcile/codes.js';

const read = (p: string): string => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

describe('docs stay true to the code', () => {
  it('docs/validation.md lists every diagnostic code with its severity, and no other', () => {
    const rows = [...read('docs/validation.md').matchAll(/^\| `([a-z0-9-]+)` \| (error|warning) \|/gm)].map((m) => [m[1], m[2]]);
    const expected = Object.entries(diagnosticCodes).map(([code, info]) => [code, info.severity]);
    expect(rows.sort()).toEqual(expected.sort());
  });

  it('README opens with the two newcomer commands', () => {
    const readme = read('README.md');
    const blocks = [...readme.matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
    expect(blocks[0]).toContain('npm run demo');
    expect(blocks[1]).toContain('npm test');
    // Both commands come before any other section.
    expect(readme.indexOf(blocks[1] ?? '')).toBeLessThan(readme.indexOf('\n## '));
  });

  it('every configuration setting in the schema is documented', () => {
    const schema = JSON.parse(read('schemas/config.schema.json')) as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    const doc = read('docs/configuration.md');
    for (const [key, value] of Object.entries(schema.properties)) {
      expect(doc).toContain(`\`${key}\``);
      for (const sub of Object.keys(value.properties ?? {})) expect(doc).toContain(`\`${key}.${sub}\``);
    }
  });
});
