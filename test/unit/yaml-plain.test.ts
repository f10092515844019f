import { describe, expect, it } from 'vitest';
import { isPlainSafe, plainSafeByProbe, renderScalar } from '../../src/render/yaml-style.js';

/**
 * isPlainSafe answers without parsing; the parser (probe documents, as it was answered before) is the oracle.
 * Every string and context must get the same answer from both.
 */
const contexts = ['block', 'flow', 'key', 'flow-key'] as const;

function oracle(s: string, context: (typeof contexts)[number]): boolean {
  if (s === '' || s.trim() !== s || /^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/u.test(s))
    return false;
  if (/[\ud800-\udfff]/u.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return false;
  return plainSafeByProbe(s, context);
}

const known = [
  'true',
  'True',
  'TRUE',
  'tRue',
  'yes',
  'Yes',
  'yEs',
  'y',
  'Y',
  'n',
  'N',
  'no',
  'on',
  'On',
  'oN',
  'off',
  'OFF',
  'null',
  'Null',
  'nULL',
  '~',
  '.inf',
  '-.inf',
  '+.Inf',
  '.nan',
  '.NaN',
  '.nAn',
  '1',
  '-1',
  '+1',
  '017',
  '019',
  '0o17',
  '0x1F',
  '0x',
  '0b101',
  '0b2',
  '1_000',
  '1__0',
  '1.5',
  '.5',
  '5.',
  '1e3',
  '1E-3',
  '1.0e+3',
  '1:20',
  '1:20:30',
  '1:70',
  '1:20.5',
  '-1:20',
  '2024-05-01',
  '2024-05-01T12:00:00Z',
  '2024-5-1',
  '2024-05-01 12:00:00',
  '2024-05-01t1:2:3.5+01:00',
  '<<',
  '<',
  '<<<',
  '...',
  '... x',
  '...x',
  '---',
  'a: b',
  'a:b',
  'a:',
  'a :b',
  'a #b',
  'a#b',
  'a, b',
  'a,b',
  '[a]',
  'a]',
  'a{',
  'a}b',
  'a"b',
  "a'b",
  'a  b',
  'a\tb',
  'é',
  'ü:x',
  'quay.io/app:1.0',
  'sha256:abc',
  'v1.2.3',
  '0.0=f8c771cf,1.0=a7ab12de',
  'k=v,x',
  'x'.repeat(1100),
  `${'y'.repeat(1020)}: x`,
  '=',
  '==',
  'a=b',
  '-',
  'a-',
  '%x',
  'a%',
  '@a',
  'a@',
  '`a',
  'a`',
  '!a',
  'a!',
  '&a',
  'a&b',
  '*a',
  'a*',
  '|a',
  'a|',
  '>a',
  'a>',
  '?a',
  'a?',
  'a ?',
  'a -',
  'a - b',
  'Yes:',
  '0:0',
  '00',
  '0',
  '-0',
  '+0',
  '0.',
  '-.',
  '.',
  '+',
  '+.',
];

function* generated(count: number): Generator<string> {
  const alphabet = [...'ayYnNoOfFtTeExXb0179 .:#,[]{}-+_<"\'!&*%@`|>?~Z\t=é'];
  let seed = 42;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < count; i += 1) {
    const length = 1 + next(7);
    let s = '';
    for (let k = 0; k < length; k += 1) s += alphabet[next(alphabet.length)];
    yield s;
  }
}

describe('isPlainSafe (without a probe parse) agrees with the parser', () => {
  it('on the strings YAML 1.1 reads as something else, and on the places a plain scalar ends', () => {
    for (const s of known) for (const c of contexts) expect([s, c, isPlainSafe(s, c)]).toEqual([s, c, oracle(s, c)]);
  });
  it('on 3,000 generated strings of indicators, digits and letters', () => {
    for (const s of generated(3000)) for (const c of contexts) expect([s, c, isPlainSafe(s, c)]).toEqual([s, c, oracle(s, c)]);
  });
  it('so a string that is not plain-safe is quoted', () => {
    expect(renderScalar('2024-05-01T12:00:00Z', 'PLAIN', false)).toBe('"2024-05-01T12:00:00Z"');
    expect(renderScalar('0.0=f8c771cf', 'PLAIN', false)).toBe('0.0=f8c771cf');
    expect(renderScalar('yes', 'PLAIN', false)).toBe('"yes"');
    expect(renderScalar('a, b', 'PLAIN', true)).toBe('"a, b"');
  });
});
