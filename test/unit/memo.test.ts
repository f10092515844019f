/** BoundedMemo (src/reconcile/memo.ts): each input computed once while it is kept, undefined answers too, bounded. */
import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../../src/reconcile/memo.js';

describe('BoundedMemo', () => {
  it('computes an input once, keeps an undefined answer as an answer, and forgets everything once full', () => {
    const memo = new BoundedMemo<string | undefined>(3);
    const asked: string[] = [];
    const compute = (s: string) => {
      asked.push(s);
      return s === 'none' ? undefined : s.toUpperCase();
    };
    expect(memo.get('a', compute)).toBe('A');
    expect(memo.get('a', compute)).toBe('A');
    expect(memo.get('none', compute)).toBeUndefined();
    expect(memo.get('none', compute)).toBeUndefined();
    expect(asked).toEqual(['a', 'none']);
    memo.get('b', compute); // three answers held
    memo.get('c', compute); // full: forgets, then keeps c
    memo.get('a', compute);
    memo.get('c', compute);
    expect(asked).toEqual(['a', 'none', 'b', 'c', 'a']);
  });
});
