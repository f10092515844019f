/**
 * Answers of a pure function of a string, kept for the inputs a process sees again and again (a pass reads the same
 * pull specs, records and hosts many times, and the daemon the same ones pass after pass). Bounded: it forgets
 * everything once it holds `max` answers. An answer is shared between callers, so it must be a value they only read.
 */
export class BoundedMemo<V> {
  private readonly answers = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(input: string, compute: (input: string) => V): V {
    const known = this.answers.get(input);
    if (known !== undefined || this.answers.has(input)) return known as V;
    const answer = compute(input);
    if (this.answers.size >= this.max) this.answers.clear();
    this.answers.set(input, answer);
    return answer;
  }
}
