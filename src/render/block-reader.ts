/**
 * A strict reader of the block YAML the renderer writes: mappings and sequences in block style, one entry per line,
 * and single-line scalars whose reading does not depend on the YAML version (strings that cannot be anything else,
 * quoted strings, `true`, `false`, `null`, decimal integers, `{}` and `[]`). It reads how any YAML 1.1 or 1.2
 * parser reads such text; whatever it is not sure of (a comment, an anchor, a tag, a tab, a flow collection with
 * entries, a plain scalar a schema could take for a number, a boolean or a date, a block scalar, a key twice...) makes it
 * decline, and the caller then parses the text with the YAML library. It only ever reads: it is the check of the
 * writer's output, not a second writer.
 */

/** One line of the text, or the rest of a line after a `- ` (a compact entry: its column is where its text starts). */
interface Line {
  readonly start: number;
  /** Column of the first character of the content. */
  readonly indent: number;
  readonly content: number;
  /** End of the content (before `\r\n` or `\n`). */
  readonly end: number;
  /** Start of the next line (the text's length after the last). */
  readonly next: number;
}

class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

const isSpace = (c: string | undefined): boolean => c === ' ';
// Words some schema reads as a boolean or a null, in any case (YAML 1.1: y, n, yes, no, on, off).
const specialWords = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);
const integer = /^-?(?:0|[1-9][0-9]*)$/;

/** Characters that make the reader decline anywhere in a scalar: controls, DEL, C1, NEL, BOM, line and paragraph separators. */
const refused = /[\u0000-\u001f\u007f-\u009f\ufeff\u2028\u2029]/;

/** A plain scalar: its value, or a decline when a schema could read it as anything but this value. */
function plain(s: string): unknown {
  if (s.length === 0 || refused.test(s) || s.includes(': ') || s.includes(' #') || s.endsWith(':') || s.endsWith(' ')) decline();
  const first = s[0] as string;
  if (/[A-Za-z_/]/.test(first)) {
    const lower = s.toLowerCase();
    if (specialWords.has(lower)) {
      if (s === 'true') return true;
      if (s === 'false') return false;
      if (s === 'null') return null;
      decline();
    }
    return s;
  }
  if (integer.test(s) && s !== '-0') {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  }
  return decline();
}

const escapes: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A double-quoted scalar starting at `from` on one line: its value and the offset after its closing quote. */
function doubleQuoted(text: string, from: number, end: number): [string, number] {
  let out = '';
  let i = from + 1;
  let run = i;
  while (i < end) {
    const c = text[i] as string;
    if (c === '"') return [out + text.slice(run, i), i + 1];
    if (c === '\\') {
      out += text.slice(run, i);
      const e = text[i + 1] ?? '';
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) decline();
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else {
        const v = escapes[e];
        if (v === undefined) decline();
        out += v;
        i += 2;
      }
      run = i;
      continue;
    }
    if (refused.test(c)) decline();
    i++;
  }
  return decline();
}

/** A single-quoted scalar on one line (`''` is a quote). */
function singleQuoted(text: string, from: number, end: number): [string, number] {
  let out = '';
  let i = from + 1;
  while (i < end) {
    const q = text.indexOf("'", i);
    if (q < 0 || q >= end) break;
    out += text.slice(i, q);
    if (text[q + 1] === "'") {
      out += "'";
      i = q + 2;
      continue;
    }
    if (refused.test(out)) decline();
    return [out, q + 1];
  }
  return decline();
}

function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.hasOwn(out, key)) decline(); // a key twice: how it reads depends on the parser's settings
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

class Reader {
  /** End of the last line read. */
  last = 0;

  constructor(readonly text: string) {}

  lineAt(start: number): Line | undefined {
    const { text } = this;
    if (start >= text.length) return undefined;
    const nl = text.indexOf('\n', start);
    const next = nl < 0 ? text.length : nl + 1;
    let end = nl < 0 ? text.length : nl;
    if (text[end - 1] === '\r') end--;
    let content = start;
    while (isSpace(text[content]) && content < end) content++;
    const line = text.slice(start, end);
    if (line.includes('\t') || line.includes('\r')) decline();
    return { start, indent: content - start, content, end, next };
  }

  /** Whether the line holds nothing (blank) or only a comment. */
  empty(l: Line): boolean {
    return l.content === l.end || this.text[l.content] === '#';
  }

  isDash(l: Line): boolean {
    return this.text[l.content] === '-' && (l.content + 1 === l.end || isSpace(this.text[l.content + 1]));
  }

  /** The rest of a `- ` line as a line of its own, at the column its text starts at; undefined when nothing follows the `-`. */
  afterDash(l: Line): Line | undefined {
    let at = l.content + 1;
    while (at < l.end && isSpace(this.text[at])) at++;
    return at === l.end ? undefined : { start: l.start, indent: at - l.start, content: at, end: l.end, next: l.next };
  }

  /** The line after `l`, or undefined at the end of the text. */
  after(l: Line): Line | undefined {
    this.last = l.end;
    return this.lineAt(l.next);
  }

  /** A value's text from `from` to the end of its line: a scalar, `{}` or `[]`. */
  inline(from: number, end: number): unknown {
    const { text } = this;
    let e = end;
    while (e > from && isSpace(text[e - 1])) e--;
    const c = text[from];
    if (c === '"' || c === "'") {
      const [v, after] = c === '"' ? doubleQuoted(text, from, e) : singleQuoted(text, from, e);
      if (after !== e) decline();
      return v;
    }
    const s = text.slice(from, e);
    if (s === '{}') return {};
    if (s === '[]') return [];
    return plain(s);
  }

  /** The key of a mapping entry on line `l` and the offset after its `:`, or undefined when the line holds no entry. */
  key(l: Line): [string, number] | undefined {
    const { text } = this;
    const c = text[l.content];
    if (c === '"' || c === "'") {
      const [k, after] = c === '"' ? doubleQuoted(text, l.content, l.end) : singleQuoted(text, l.content, l.end);
      if (text[after] !== ':' || !(after + 1 === l.end || isSpace(text[after + 1]))) return undefined;
      return [k, after + 1];
    }
    let colon = text.indexOf(':', l.content);
    while (colon >= 0 && colon < l.end && !(colon + 1 === l.end || isSpace(text[colon + 1]))) colon = text.indexOf(':', colon + 1);
    if (colon < 0 || colon >= l.end) return undefined;
    const k = text.slice(l.content, colon);
    // An implicit key is at most 1024 characters; a plain key must read as a string in every schema.
    if (k.length > 1000 || !/^[A-Za-z_/]/.test(k) || typeof plain(k) !== 'string') decline();
    return [k, colon + 1];
  }

  /** A block node whose first line is `l` (at column `col`). */
  node(l: Line, col: number): [unknown, Line | undefined] {
    return this.isDash(l) ? this.seq(l, col) : this.map(l, col);
  }

  /**
   * What follows a `key:` or a `-` with nothing after it on its line: a more indented node, or null; after a key
   * (`indentless`), also a sequence at the key's own column.
   */
  child(next: Line | undefined, col: number, indentless: boolean): [unknown, Line | undefined] {
    if (next && !this.empty(next) && next.indent > col) return this.node(next, next.indent);
    if (indentless && next && !this.empty(next) && next.indent === col && this.isDash(next)) return this.seq(next, col);
    return [null, next];
  }

  map(first: Line, col: number): [Record<string, unknown>, Line | undefined] {
    const out: Record<string, unknown> = {};
    let cur: Line | undefined = first;
    while (cur && !this.empty(cur) && cur.indent === col && !this.isDash(cur)) {
      const entry = this.key(cur);
      if (!entry) return decline();
      const [k, afterColon] = entry;
      let rest = afterColon;
      while (rest < cur.end && isSpace(this.text[rest])) rest++;
      let value: unknown;
      let next: Line | undefined;
      if (rest === cur.end) [value, next] = this.child(this.after(cur), col, true);
      else {
        value = this.inline(rest, cur.end);
        next = this.after(cur);
      }
      // A more indented line after an entry would continue it (a multi-line plain scalar) or be an error.
      if (next && !this.empty(next) && next.indent > col) decline();
      setKey(out, k, value);
      cur = next;
    }
    return [out, cur];
  }

  seq(first: Line, col: number): [unknown[], Line | undefined] {
    const out: unknown[] = [];
    let cur: Line | undefined = first;
    while (cur && !this.empty(cur) && cur.indent === col && this.isDash(cur)) {
      const rest = this.afterDash(cur);
      let value: unknown;
      let next: Line | undefined;
      if (!rest) [value, next] = this.child(this.after(cur), col, false);
      else {
        if (this.isDash(rest)) decline();
        if (this.key(rest)) [value, next] = this.map(rest, rest.indent);
        else {
          value = this.inline(rest.content, cur.end);
          next = this.after(cur);
        }
      }
      if (next && !this.empty(next) && next.indent > col) decline();
      out.push(value);
      cur = next;
    }
    return [out, cur];
  }
}

/** A new entry's value as read from the text, and the range it spans (what follows its `:` or `-`). */
export interface ReadEntry {
  /** The mapping key (kind 'pair'). */
  readonly key?: string;
  readonly value: unknown;
  readonly start: number;
  readonly end: number;
}

/**
 * Read the entry whose key (`pair`) or `-` (`item`) is at `at`, in a block collection at column `col`, when its value
 * is a block node (on the lines below a `key:`, or a compact mapping after a `- `): undefined when the reader
 * declines or the value is inline (the YAML library reads those, they are short). The entry must end where the text
 * leaves that collection's entry: the next line holding anything is no more indented than `col`.
 */
export function readBlockEntry(text: string, at: number, kind: 'pair' | 'item', col: number): ReadEntry | undefined {
  const r = new Reader(text);
  try {
    const ls = text.lastIndexOf('\n', at - 1) + 1;
    if (at - ls !== col) return undefined;
    const line = r.lineAt(ls);
    if (!line || line.content !== at) return undefined;
    let key: string | undefined;
    let value: unknown;
    let next: Line | undefined;
    let start: number;
    if (kind === 'pair') {
      const entry = r.key(line);
      if (!entry) return undefined;
      [key, start] = entry;
      if (text.slice(start, line.end).trim() !== '') return undefined;
      [value, next] = r.child(r.after(line), col, true);
      if (value === null) return undefined;
    } else {
      if (!r.isDash(line)) return undefined;
      start = at + 1;
      const rest = r.afterDash(line);
      if (!rest || r.isDash(rest) || !r.key(rest)) return undefined;
      [value, next] = r.map(rest, rest.indent);
    }
    while (next && r.empty(next)) next = r.lineAt(next.next);
    if (next && next.indent > col) return undefined;
    return key === undefined ? { value, start, end: r.last } : { key, value, start, end: r.last };
  } catch (err) {
    if (err instanceof Decline) return undefined;
    throw err;
  }
}
