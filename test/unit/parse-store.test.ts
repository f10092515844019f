/**
 * The parse store (src/render/parse-store.ts): a load through a store of earlier parses gives exactly what a plain
 * load gives, parses only what changed, and survives a missing, damaged, foreign or unwritable store.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStoreFor } from '../../src/cli/pipeline.js';
import { defaultLoadLimits } from '../../src/render/limits.js';
import { ParseStore, loaderFingerprint, onLocalFilesystem } from '../../src/render/parse-store.js';
import type { LoadCache, LoadedRepository } from '../../src/render/repository.js';
import { loadRepository } from '../../src/render/repository.js';
import { defaultWalkOptions } from '../../src/render/walk.js';
import type { Diagnostic } from '../../src/render/diagnostic.js';
import { validateRepository } from '../../src/render/validate.js';
import { makeTempDir, removeDir } from '../support/tmp.js';
import { runCli } from '../helpers/cli.js';

const stream = (name: string, tag = 'v1') =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ${name}\nspec:\n  tags:\n  - name: ${tag}\n    from:\n      kind: DockerImage\n      name: quay.io/x/${name}:${tag} # {"$imagestreamtag": "${name}:${tag}"}\n`;

let work: string;
let repo: string;
let cacheDir: string;
beforeEach(() => {
  work = makeTempDir('parse-store');
  repo = path.join(work, 'repo');
  cacheDir = path.join(work, 'cache');
  mkdirSync(path.join(repo, 'streams'), { recursive: true });
  writeFileSync(path.join(repo, 'streams', 'a.yaml'), stream('a'));
  writeFileSync(path.join(repo, 'streams', 'b.yaml'), stream('b'));
  writeFileSync(path.join(repo, 'broken.yaml'), 'kind: [unclosed\n');
  writeFileSync(path.join(repo, 'chart.yaml'), 'image: {{ .Values.image }}\n');
  writeFileSync(path.join(repo, 'c.json'), '{"apiVersion": "v1", "kind": "ImageStream", "metadata": {"name": "c"}}\n');
});
afterEach(() => removeDir(work));

/**
 * A store as parseStoreFor makes it. Its clock is a minute behind by default, so every read falls in the racy window
 * of the files just written and no file is recalled by its stat (each test below says when that changes); `later`
 * stamps reads a minute ahead instead, as if the files had been written long before.
 */
const store = (fingerprint: string = loaderFingerprint(), clock: 'racy' | 'later' = 'racy'): ParseStore =>
  new ParseStore(path.join(cacheDir, 'parsed'), `${repo}\0${repo}`, fingerprint, {
    now: () => Date.now() + (clock === 'later' ? 60_000 : -60_000),
    // Whatever filesystem the machine running the tests keeps its temporary files on (onLocalFilesystem's own test).
    localFilesystem: () => true,
  });
const later = (): ParseStore => store(undefined, 'later');

/** The store file's parts (parse-store-format.ts: sections, a V8-serialized header, a 16-byte footer). */
interface StoreFileParts {
  readonly bytes: Buffer;
  readonly header: Record<string, unknown> & {
    entries: Array<Record<string, unknown>>;
    files: Array<[string, Record<string, unknown>]>;
    sections: Record<'texts' | 'values' | 'segments' | 'ints', [number, number]>;
  };
}
function readParts(file: string): StoreFileParts {
  const bytes = readFileSync(file);
  const at = bytes.readDoubleLE(bytes.length - 16);
  const header = v8.deserialize(bytes.subarray(at, at + bytes.readUInt32LE(bytes.length - 8))) as StoreFileParts['header'];
  return { bytes, header };
}
/** Write the store file again with its (changed) sections and header. */
function writeParts(file: string, { bytes, header }: StoreFileParts): void {
  const at = bytes.readDoubleLE(bytes.length - 16);
  const h = v8.serialize(header);
  const footer = Buffer.from(bytes.subarray(bytes.length - 16));
  footer.writeUInt32LE(h.length, 8);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, at), h, footer]));
}
const section = (p: StoreFileParts, name: 'texts' | 'values' | 'segments' | 'ints'): Buffer => {
  const [at, length] = p.header.sections[name];
  return p.bytes.subarray(at, at + length);
};
const load = (s?: ParseStore, cache?: LoadCache): Promise<LoadedRepository> =>
  loadRepository([repo], {
    walk: defaultWalkOptions,
    limits: defaultLoadLimits,
    displayBase: repo,
    ...(s ? { store: s } : {}),
    ...(cache ? { cache } : {}),
  });

/** Everything a pass reads from a load, positions included (looked up for every pointer the plain load knows). */
function meaning(r: LoadedRepository): unknown {
  const files = [...r.files.values()].map((f) => ({
    path: f.path,
    format: f.format,
    text: f.text,
    problems: f.problems,
    markers: f.markers,
    end: f.lines.position(f.text.length),
    documents: f.documents.map((d) => ({
      index: d.index,
      value: d.value,
      start: d.start,
      style: d.style,
      positions: ['', '/metadata/name', '/spec/tags/0/from/name', '/spec/tags/0/nope'].map((p) => [
        d.positions.get(p),
        d.positions.nearest(p),
      ]),
    })),
  }));
  return { files, objects: r.objects, markers: r.markers, diagnostics: r.diagnostics, kustomizations: r.kustomizations };
}

describe('parse store', () => {
  it('a second run (a new store read from disk) parses nothing and loads exactly what a plain load does', async () => {
    const plain = await load();
    const first = store();
    expect(meaning(await load(first))).toEqual(meaning(plain));
    expect(first.stats).toEqual({ hits: 0, recalled: 0, misses: 5 }); // the Go template's refusal is stored too
    expect(await first.save()).toBe(true);
    const second = store();
    expect(meaning(await load(second))).toEqual(meaning(plain));
    expect(second.stats).toEqual({ hits: 5, recalled: 0, misses: 0 });
    expect(plain.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['go-template']));
    expect(plain.diagnostics.some((d) => d.file === 'broken.yaml' && d.severity === 'error')).toBe(true);
  });

  it('a changed file is parsed again, the others come from the store, and the store drops the old text', async () => {
    const s1 = store();
    await load(s1);
    await s1.save();
    writeFileSync(path.join(repo, 'streams', 'b.yaml'), stream('b', 'v2'));
    const s2 = store();
    const loaded = await load(s2);
    expect(s2.stats).toEqual({ hits: 4, recalled: 0, misses: 1 });
    expect(meaning(loaded)).toEqual(meaning(await load()));
    expect(loaded.markers.find((m) => m.file === 'streams/b.yaml')?.streamTag).toBe('b:v2');
    await s2.save();
    const { header } = readParts(s2.file);
    expect(header.entries).toHaveLength(5);
    expect(header.files).toHaveLength(5);
  });

  it('saves nothing when nothing is new (the file is only touched, so it counts as in use)', async () => {
    const s1 = store();
    await load(s1);
    await s1.save();
    const before = readFileSync(s1.file);
    const old = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(s1.file, old, old);
    const s2 = store();
    await load(s2);
    expect(await s2.save()).toBe(false);
    expect(readFileSync(s1.file).equals(before)).toBe(true);
    expect(statSync(s1.file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a save removes the stores of other repositories not written for 30 days, and keeps recent ones', async () => {
    const dir = path.join(cacheDir, 'parsed');
    mkdirSync(dir, { recursive: true });
    const stale = path.join(dir, 'stale.bin');
    const recent = path.join(dir, 'recent.bin');
    const leftover = path.join(dir, 'x.bin.1.2.tmp');
    for (const f of [stale, recent, leftover]) writeFileSync(f, 'x');
    const old = new Date(Date.now() - 31 * 86_400_000);
    utimesSync(stale, old, old);
    utimesSync(leftover, old, old);
    const s = store();
    await load(s);
    await s.save();
    expect(readdirSync(dir).sort()).toEqual([path.basename(s.file), 'recent.bin'].sort());
  });

  it('the same text under another name is its own entry: names in problems and markers are the file’s own', async () => {
    const s1 = store();
    await load(s1);
    await s1.save();
    writeFileSync(path.join(repo, 'streams', 'copy.yaml'), stream('a'));
    const s2 = store();
    const loaded = await load(s2);
    expect(s2.stats.misses).toBe(1);
    expect(loaded.markers.filter((m) => m.streamTag === 'a:v1').map((m) => m.file)).toEqual(['streams/a.yaml', 'streams/copy.yaml']);
  });

  it('a damaged store file, or one from another loader, is an empty store; the next save replaces it', async () => {
    const s1 = store();
    await load(s1);
    await s1.save();
    writeFileSync(s1.file, Buffer.from('not a store at all'));
    const s2 = store();
    expect(meaning(await load(s2))).toEqual(meaning(await load()));
    expect(s2.stats).toEqual({ hits: 0, recalled: 0, misses: 5 });
    await s2.save();
    const s3 = store();
    await load(s3);
    expect(s3.stats.hits).toBe(5);
    // A store written by another version of the loader (another fingerprint) is not read.
    const other = store(`${loaderFingerprint()}-other`);
    await load(other);
    expect(other.stats).toEqual({ hits: 0, recalled: 0, misses: 5 });
  });

  describe('a part not shaped as this module writes it fails the whole store (parsed again, never used)', () => {
    const withDocuments = (p: StoreFileParts) =>
      p.header.entries.find((e) => Array.isArray(e.documents) && e.documents.length > 0) as
        | { documents: Array<Record<string, unknown>>; text: unknown }
        | undefined;
    const firstDocument = (p: StoreFileParts): Record<string, unknown> => withDocuments(p)?.documents[0] ?? {};
    const withList = (p: StoreFileParts, list: 'problems' | 'markers'): unknown[] =>
      (p.header.entries.find((e) => Array.isArray(e[list]) && (e[list] as unknown[]).length > 0)?.[list] as unknown[]) ?? [];
    const cases: Array<[string, (p: StoreFileParts) => void]> = [
      ['a position map that is not one', (p) => void (firstDocument(p).positions = { index: 'nope' })],
      ['a position map past the packed arrays', (p) => void (firstDocument(p).positions = [section(p, 'ints').length / 4, 2, 0])],
      ['a position map whose parent comes after it', (p) => void section(p, 'ints').fill(7)],
      ['a text past the texts', (p) => void ((withDocuments(p) ?? { text: 0 }).text = [section(p, 'texts').length, 1])],
      [
        'an entry no longer marked as JSON (one value list too many)',
        (p) => void ((p.header.entries.find((e) => e.json) ?? {}).json = false),
      ],
      ['values that are not a JSON array', (p) => void section(p, 'values').fill(0x20, 0, 1)],
      ['a section past the header', (p) => void (p.header.sections.segments = [0, p.bytes.length])],
      ['a store of the other byte order', (p) => void (p.header.endianness = p.header.endianness === 'LE' ? 'BE' : 'LE')],
      ['a file record for an entry not in the store', (p) => void ((p.header.files[0] ?? ['', {}])[1].key = 'missing')],
      ['a file record without its size', (p) => void ((p.header.files[0] ?? ['', {}])[1].size = 'big')],
      ['a problem with no offset', (p) => void withList(p, 'problems').splice(0, 1, { code: 'x' })],
      ['a marker that is a number', (p) => void withList(p, 'markers').splice(0, 1, 42)],
      ['a failed load without its diagnostic', (p) => void ((p.header.entries.find((e) => e.diagnostic) ?? {}).diagnostic = { file: 1 })],
      ['a document starting past its text', (p) => void (firstDocument(p).start = 1e9)],
      ['the footer of something else', (p) => void p.bytes.writeUInt32LE(0, p.bytes.length - 4)],
    ];
    it.each(cases)('%s', async (_, damage) => {
      const s1 = later();
      await load(s1);
      await s1.save();
      const before = readFileSync(s1.file);
      const parts = readParts(s1.file);
      damage(parts);
      writeParts(s1.file, parts);
      expect(readFileSync(s1.file).equals(before)).toBe(false);
      const s2 = later();
      expect(meaning(await load(s2))).toEqual(meaning(await load()));
      expect(s2.stats).toEqual({ hits: 0, recalled: 0, misses: 5 });
    });

    it('and the file as written, read back through the same helpers, is whole (the damage above is all there is)', async () => {
      const s1 = later();
      await load(s1);
      await s1.save();
      writeParts(s1.file, readParts(s1.file));
      const s2 = later();
      await load(s2);
      expect(s2.stats).toEqual({ hits: 5, recalled: 5, misses: 0 });
    });
  });

  it('a store that cannot be written costs nothing but the next parse', async () => {
    writeFileSync(cacheDir, 'a file where the cache directory should be');
    const s = store();
    expect(meaning(await load(s))).toEqual(meaning(await load()));
    expect(await s.save()).toBe(false);
  });

  it("the daemon's in-memory hits keep their entries: a save after passes served from memory still holds every file", async () => {
    const s = store();
    const cache: LoadCache = new Map();
    await load(s, cache);
    await s.save();
    writeFileSync(path.join(repo, 'streams', 'a.yaml'), stream('a', 'v9'));
    await load(s, cache); // everything from memory but the changed a.yaml
    expect(s.stats).toEqual({ hits: 0, recalled: 0, misses: 6 });
    expect(s.size).toBe(5); // a.yaml's old parse is not kept beside its new one
    expect(await s.save()).toBe(true);
    const restarted = store();
    await load(restarted);
    expect(restarted.stats).toEqual({ hits: 5, recalled: 0, misses: 0 });
  });

  it("a file's older parse goes as soon as its new text is parsed, not when the load settles", async () => {
    const s = store();
    await s.open();
    s.parse('x.yaml', stream('x'), defaultLoadLimits);
    s.parse('y.yaml', stream('y'), defaultLoadLimits);
    s.settle();
    await s.open(); // the next load
    s.parse('x.yaml', stream('x', 'v2'), defaultLoadLimits);
    expect(s.size).toBe(2); // x's old entry is gone, y's waits for the load to settle
    s.keep('y.yaml');
    s.settle();
    expect(s.size).toBe(2);
  });

  it('saveIfDue saves at its first call, then only once the interval has passed', async () => {
    const s = store();
    await load(s);
    expect(await s.saveIfDue(1_000, 60_000)).toBe(true);
    writeFileSync(path.join(repo, 'streams', 'a.yaml'), stream('a', 'v3'));
    await load(s);
    expect(await s.saveIfDue(30_000, 60_000)).toBe(false);
    expect(await s.saveIfDue(61_000, 60_000)).toBe(true);
  });

  it('no store when the cache directory lies inside the repository (HOME at the checkout): nothing is written there', async () => {
    expect(parseStoreFor(path.join(repo, '.cache', 'imagestreams'), repo, repo)).toBeUndefined();
    expect(parseStoreFor(repo, repo, repo)).toBeUndefined();
    expect(parseStoreFor(path.join(work, 'repo-cache'), repo, repo)).toBeInstanceOf(ParseStore);
    expect(parseStoreFor(cacheDir, repo, repo)?.file).toBe(store().file); // the tests' stores are the same store
    const r = await runCli(['validate'], { cwd: repo, env: { HOME: repo } });
    expect(r.code).toBe(1);
    expect(readdirSync(repo).sort()).toEqual(['broken.yaml', 'c.json', 'chart.yaml', 'streams']);
  });

  it('validate and an offline reconcile keep their store in the cache directory and report the same from it', async () => {
    const env = { IMAGESTREAMS_CACHE_DIR: cacheDir };
    const first = await runCli(['validate', '-o', 'json'], { cwd: repo, env });
    expect(readdirSync(path.join(cacheDir, 'parsed')).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    const second = await runCli(['validate', '-o', 'json'], { cwd: repo, env });
    expect(second).toEqual(first);
    expect(first.code).toBe(1); // broken.yaml
    const reconciled = await runCli(['reconcile', '--offline', '--dry-run', '-o', 'json'], { cwd: repo, env });
    const again = await runCli(['reconcile', '--offline', '--dry-run', '-o', 'json'], { cwd: repo, env });
    expect(again).toEqual(reconciled);
    expect(JSON.parse(reconciled.stdout).diagnostics.length).toBeGreaterThan(0);
  });

  it("values JSON would not give back exactly (-0, NaN, infinities, an alias's shared value) are stored as they are", async () => {
    writeFileSync(
      path.join(repo, 'odd.yaml'),
      'neg: -0.0\nnan: .nan\ninf: -.inf\nbase: &b {k: v}\nalias: *b\n---\n__proto__: {polluted: true}\nlist: [1, 2.5, "x", null, true]\n',
    );
    const s1 = store();
    await load(s1);
    await s1.save();
    const parts = readParts(s1.file);
    // The plain YAML files' values went in the store's one JSON text. The odd file's stayed in its documents, and so
    // did c.json's (the JSON loader's objects have no prototype, which JSON.parse would not give back).
    const ok = parts.header.entries.filter((e) => e.ok);
    expect(ok.filter((e) => e.json === false)).toHaveLength(2);
    expect(ok.filter((e) => e.json === true)).toHaveLength(ok.length - 2);
    expect(JSON.parse(section(parts, 'values').toString('utf8'))).toHaveLength(ok.length - 2);
    const s2 = store();
    const loaded = await load(s2);
    expect(s2.stats.misses).toBe(0);
    expect(meaning(loaded)).toEqual(meaning(await load()));
    const [first, second] = loaded.files.get('odd.yaml')?.documents ?? [];
    const odd = first?.value as Record<string, unknown>;
    expect(Object.is(odd.neg, -0)).toBe(true);
    expect(odd.nan).toBeNaN();
    expect(odd.inf).toBe(Number.NEGATIVE_INFINITY);
    expect(odd.alias).toBe(odd.base);
    // A `__proto__` key is the document's own data, through JSON as through the YAML library; nothing is polluted.
    const other = second?.value as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(other, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(other)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('files recalled by their stat', () => {
    it('a file read well after its last change is not read again while its stat stands, and loads as a plain load does', async () => {
      const first = later();
      await load(first);
      expect(first.stats).toEqual({ hits: 0, recalled: 0, misses: 5 });
      await first.save();
      const second = later();
      const loaded = await load(second);
      expect(second.stats).toEqual({ hits: 5, recalled: 5, misses: 0 });
      expect(meaning(loaded)).toEqual(meaning(await load()));
      expect(await second.save()).toBe(false); // nothing new: the store is only touched
      // The Go template's refusal and the broken file's problems come back too, without reading either.
      expect(loaded.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['go-template']));
    });

    it('reads within the racy window are not trusted; a later read of the same text makes the file recallable', async () => {
      const racy = store();
      await load(racy);
      await racy.save();
      const again = store();
      await load(again);
      expect(again.stats).toEqual({ hits: 5, recalled: 0, misses: 0 }); // read and found by text
      expect(await again.save()).toBe(false); // the new reads are as racy as the old: nothing worth saving
      const settled = later();
      await load(settled);
      expect(settled.stats).toEqual({ hits: 5, recalled: 0, misses: 0 });
      expect(await settled.save()).toBe(true); // these reads came late enough: saved, so the next run recalls
      const next = later();
      await load(next);
      expect(next.stats).toEqual({ hits: 5, recalled: 5, misses: 0 });
    });

    it('any change of the stat reads the file: same size with the mtime put back, a new inode, other limits', async () => {
      const a = path.join(repo, 'streams', 'a.yaml');
      const b = path.join(repo, 'streams', 'b.yaml');
      utimesSync(a, 1_700_000_000, 1_700_000_000); // whole seconds: set back exactly below
      const s1 = later();
      await load(s1);
      await s1.save();
      // a.yaml: a new text of the same size, its times set back to the old ones (only its ctime moves).
      const before = statSync(a);
      writeFileSync(a, stream('a', 'v2'));
      utimesSync(a, 1_700_000_000, 1_700_000_000);
      expect(statSync(a).size).toBe(before.size);
      expect(statSync(a).mtimeMs).toBe(before.mtimeMs);
      // b.yaml: the same text in a new file renamed over it (a new inode).
      writeFileSync(`${b}.new`, readFileSync(b));
      renameSync(`${b}.new`, b);
      const s2 = later();
      const loaded = await load(s2);
      expect(s2.stats).toEqual({ hits: 4, recalled: 3, misses: 1 }); // b found by its text, a parsed again
      expect(loaded.markers.find((m) => m.file === 'streams/a.yaml')?.streamTag).toBe('a:v2');
      expect(meaning(loaded)).toEqual(meaning(await load()));
      await s2.save();
      const s3 = later();
      const deeper = { ...defaultLoadLimits, maxDepth: defaultLoadLimits.maxDepth + 1 };
      await loadRepository([repo], { walk: defaultWalkOptions, limits: deeper, displayBase: repo, store: s3 });
      expect(s3.stats).toEqual({ hits: 0, recalled: 0, misses: 5 });
    });

    it('a file gone or replaced by a directory is not recalled, and its record leaves the store', async () => {
      const s1 = later();
      await load(s1);
      await s1.save();
      rmSync(path.join(repo, 'c.json'));
      rmSync(path.join(repo, 'streams', 'b.yaml'));
      mkdirSync(path.join(repo, 'streams', 'b.yaml'));
      const s2 = later();
      const loaded = await load(s2);
      expect(s2.stats).toEqual({ hits: 3, recalled: 3, misses: 0 });
      expect(meaning(loaded)).toEqual(meaning(await load()));
      expect(loaded.files.has('c.json')).toBe(false);
      await s2.save();
      const written = readParts(s2.file).header;
      expect(written.files.map(([f]) => f).sort()).toEqual(['broken.yaml', 'chart.yaml', 'streams/a.yaml']);
    });
  });

  describe('files recalled by their stat, on what may be trusted', () => {
    it('only on Linux filesystems whose times are this machine’s: not procfs, not a directory that is not there', () => {
      expect(onLocalFilesystem('/proc')).toBe(false);
      expect(onLocalFilesystem(path.join(work, 'missing'))).toBe(false);
      if (process.platform !== 'linux') expect(onLocalFilesystem(work)).toBe(false);
    });

    it('a store told the filesystem is not local reads every file (found by text, never recalled)', async () => {
      const options = { now: () => Date.now() + 60_000, localFilesystem: () => false };
      const first = new ParseStore(path.join(cacheDir, 'parsed'), `${repo}\0${repo}`, loaderFingerprint(), options);
      await load(first);
      await first.save();
      const second = new ParseStore(path.join(cacheDir, 'parsed'), `${repo}\0${repo}`, loaderFingerprint(), options);
      await load(second);
      expect(second.stats).toEqual({ hits: 5, recalled: 0, misses: 0 });
    });

    it('a file named on the command line and turned into a loop of symlinks is reported as unreadable', async () => {
      const c = path.join(repo, 'c.json');
      const a = path.join(repo, 'streams', 'a.yaml');
      const named = (s: ParseStore) =>
        loadRepository([c, a], { walk: defaultWalkOptions, limits: defaultLoadLimits, displayBase: repo, store: s });
      const s1 = later();
      await named(s1);
      await s1.save();
      rmSync(c);
      symlinkSync('c.json', c);
      const s2 = later();
      const loaded = await named(s2);
      expect(loaded.diagnostics.find((d) => d.file === 'c.json')?.code).toBe('read-error');
      expect(s2.stats).toEqual({ hits: 1, recalled: 1, misses: 0 });
    });

    it("the daemon's loads: a file whose read failed and one deleted leave the store, even when the rest come from memory", async () => {
      const s = later();
      const cache: LoadCache = new Map();
      await load(s, cache);
      const a = path.join(repo, 'streams', 'a.yaml');
      const good = readFileSync(a);
      writeFileSync(a, Buffer.from([0x6b, 0x3a, 0x20, 0xff, 0x0a])); // not UTF-8: its entry and record go
      await load(s, cache);
      rmSync(path.join(repo, 'c.json'));
      await load(s, cache); // a.yaml still broken (from memory), c.json gone
      expect(await s.save()).toBe(true);
      const written = readParts(s.file).header;
      expect(written.files.map(([f]) => f).sort()).toEqual(['broken.yaml', 'chart.yaml', 'streams/b.yaml']);
      expect(written.entries).toHaveLength(3);
      writeFileSync(a, good); // back to the text the store knew: parsed again, since its entry went
      await load(s, cache);
      expect(s.stats.misses).toBe(6);
      expect(s.size).toBe(4);
    });
  });

  describe('the last validation', () => {
    const options = { defaultNamespace: 'default' };
    /** Validate through a store, saying whether the stored validation was used. */
    async function validated(s: ParseStore, opts = options): Promise<{ diagnostics: Diagnostic[]; recalled: boolean }> {
      const repository = await load(s);
      let recalled = false;
      const recall = s.recallValidation.bind(s);
      s.recallValidation = (key) => {
        const found = recall(key);
        recalled ||= found !== undefined;
        return found;
      };
      const diagnostics = validateRepository(repository, opts, { store: s });
      await s.save();
      expect(diagnostics).toEqual(validateRepository(await load(), opts));
      return { diagnostics, recalled };
    }

    it('is recalled by the next process while no file and no option changed, and made again when one did', async () => {
      const first = await validated(store());
      expect(first.recalled).toBe(false);
      expect(first.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      const second = await validated(store());
      expect(second).toEqual({ diagnostics: first.diagnostics, recalled: true });
      // A file changes: validated again, and the new finding is there.
      writeFileSync(path.join(repo, 'streams', 'a.yaml'), stream('a').replace('kind: DockerImage', 'kind: Nope'));
      const changed = await validated(store());
      expect(changed.recalled).toBe(false);
      expect(changed.diagnostics.some((d) => d.file === 'streams/a.yaml' && d.severity === 'error')).toBe(true);
      expect((await validated(store())).recalled).toBe(true);
      // Other options: validated again.
      expect((await validated(store(), { defaultNamespace: 'other' })).recalled).toBe(false);
      // A file that is gone, or a new one.
      writeFileSync(path.join(repo, 'streams', 'd.yaml'), stream('d'));
      expect((await validated(store(), { defaultNamespace: 'other' })).recalled).toBe(false);
    });

    it('one not shaped like diagnostics fails the whole store (parsed and validated again)', async () => {
      await validated(store());
      const parts = readParts(store().file);
      const { diagnostics } = parts.header.validation as { diagnostics: Array<Record<string, unknown>> };
      expect(diagnostics.length).toBeGreaterThan(0);
      (diagnostics[0] as Record<string, unknown>).line = 'one';
      writeParts(store().file, parts);
      const s = store();
      const again = await validated(s);
      expect(again.recalled).toBe(false);
      expect(s.stats.hits).toBe(0);
    });
  });
});
