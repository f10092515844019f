/** The layering of docs/architecture.md, checked on every import in src/. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'));
const layer = (file: string): string => file.split('/')[0] ?? '';
const imports = (file: string): string[] =>
  [...readFileSync(path.join(src, file), 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? '',
  );

const helpCall =
  /(?:\.(?:description|summary|usage|option|requiredOption|argument|addHelpText|helpOption)|\bnew\s+(?:Option|Argument))\s*$/;
/** The code of a file, line for line: comments and the help calls' literals blanked (newlines kept). */
const codeOf = (text: string): string => {
  let out = '';
  let prose = 0; // inside a prose template literal, its expressions included
  const emit = (piece: string, blank = false): void => {
    out += blank || prose > 0 ? piece.replace(/[^\n]/g, '') : piece;
  };
  const frames: Array<{ help: boolean; template?: { prose: boolean } }> = [];
  let prev = '';
  let i = 0;
  /** From i (inside a template literal) to its end or to the next `${`. */
  const template = (isProse: boolean): void => {
    for (let j = i; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '`' || (text[j] === '$' && text[j + 1] === '{')) {
        const end = text[j] === '`';
        emit(text.slice(i, end ? j + 1 : j + 2));
        i = end ? j + 1 : j + 2;
        if (end) {
          if (isProse) prose--;
          prev = '`';
        } else {
          frames.push({ help: false, template: { prose: isProse } });
          prev = '{';
        }
        return;
      }
    }
    i = text.length;
  };
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      emit(text.slice(i, end === -1 ? text.length : end), true);
      i = end === -1 ? text.length : end;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      emit(text.slice(i, end === -1 ? text.length : end + 2), true);
      i = end === -1 ? text.length : end + 2;
    } else if (
      c === '/' &&
      (prev === '' ||
        '(,=:[!&|?{};+-*%<>~^'.includes(prev) ||
        /\b(?:return|typeof|case|in|of)\s*$/.test(text.slice(Math.max(0, i - 10), i)))
    ) {
      // A regular expression literal (a `/` where no value ends): code, kept as it is.
      let j = i + 1;
      for (let inClass = false; j < text.length && (inClass || text[j] !== '/'); j++) {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
      }
      while (/[a-z]/.test(text[j + 1] ?? '')) j++;
      emit(text.slice(i, j + 1));
      i = j + 1;
      prev = '/';
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      emit(text.slice(i, j + 1), frames.at(-1)?.help === true);
      i = j + 1;
      prev = c;
    } else if (c === '`') {
      const isProse = frames.at(-1)?.help === true;
      if (isProse) prose++;
      emit('`');
      i += 1;
      template(isProse);
    } else {
      if (c === '(') frames.push({ help: helpCall.test(text.slice(Math.max(0, i - 40), i)) });
      else if (c === '[' || c === '{') frames.push({ help: false });
      else if (c === ')' || c === ']' || c === '}') {
        const frame = frames.pop();
        if (c === '}' && frame?.template) {
          emit('}');
          i += 1;
          template(frame.template.prose);
          continue;
        }
      }
      emit(c);
      if (!/\s/.test(c)) prev = c;
      i += 1;
    }
  }
  return out;
};
describe('architecture', () => {
  it('the core imports nothing outside itself and no node: modules', () => {
    const bad = files
      .filter((f) => layer(f) === 'reconcile')
      .flatMap((f) =>
        imports(f)
          .filter((i) => !i.startsWith('./'))
          .map((i) => `${f} imports ${i}`),
      );
    expect(bad).toEqual([]);
  });
  it('the core reads no clock, environment or console', () => {
    const bad = files
      .filter((f) => layer(f) === 'reconcile')
      .filter((f) => /\b(Date\.now|new Date\(\)|process\.|console\.|Math\.random)/.test(readFileSync(path.join(src, f), 'utf8')));
    expect(bad).toEqual([]);
  });
  it('an edge never imports another edge, and nothing imports the CLI', () => {
    const edges = new Set(['render', 'import', 'gitsource', 'forge']);
    const bad = files.flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('.'))
        .map((i) => path.posix.normalize(path.posix.join(path.posix.dirname(f), i)))
        .filter(
          (target) =>
            (edges.has(layer(f)) && edges.has(layer(target)) && layer(target) !== layer(f)) ||
            (layer(target) === 'cli' && layer(f) !== 'cli'),
        )
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
  it('one write-back seam: the pass reaches every target through write-back.ts, which lists them all', () => {
    const text = (f: string): string => readFileSync(path.join(src, f), 'utf8');
    // The target planners are called from the seam only (the verbs may use them for one object at a time).
    for (const planner of ['planWorkloads', 'planMarkers', 'planKustomizations']) {
      const callers = files.filter(
        (f) =>
          new RegExp(`\\b${planner}\\(`).test(text(f).replace(new RegExp(`export function ${planner}\\(`), '')) &&
          !f.startsWith('cli/authoring/'),
      );
      expect({ planner, callers }).toEqual({ planner, callers: ['reconcile/write-back.ts'] });
    }
    // planPass reaches the targets through planConsumers (holds applied), which calls planWriteBack.
    expect(text('reconcile/pass.ts')).toMatch(/\bplanConsumers\(/);
    expect(files.filter((f) => /\bplanWriteBack\(/.test(text(f)) && f !== 'reconcile/write-back.ts')).toEqual(['reconcile/pass-holds.ts']);
    expect(text('reconcile/write-back.ts')).toMatch(
      /writeBackTargets: readonly WriteBackTarget\[\] = \[podTemplateTarget, markerTarget, kustomizeTarget\]/,
    );
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
  it("the CLI holds no domain constants: kinds, annotation names, policy values, reasons and tag accessors are the core's", () => {
    // The rule is checked on the CLI's code, not on its prose. Comments are prose, and so are the string and template
    // literals passed straight to a help call (`.description(`, `.summary(`, `.usage(`, `.option(`, `.requiredOption(`,
    // `.argument(`, `.addHelpText(`, `.helpOption(`, `new Option(`, `new Argument(`): flag names, help sentences and
    // example blocks, which may name things for people. Everything else is code, where such a name compares or builds
    // a value and must come from src/reconcile (model.ts `kinds`, `annotations`, `referencePolicies`, `importModes`,
    // `workloadKindForAlias`..., accessors.ts `specTagsOf`, `statusTagsOf`...): `.choices([...])` and `.default(...)`
    // after `new Option(...)` build values, so they are code. Output texts that are not about these names are free.
    const patterns = [
      // A kind, reference policy, import mode or condition reason as a whole literal.
      /(['"`])(?:ImageStream|ImageStreamTag|ImageStreamImage|DockerImage|DeploymentConfig|Deployment|StatefulSet|DaemonSet|CronJob|Job|ReplicaSet|ReplicationController|Pod|PodTemplate|Template|List|ImageChange|Local|Source|Legacy|PreserveOriginal|ImportSuccess)\1/g,
      // An annotation name, or an API group's resource name (`imagestream.image.openshift.io/`), anywhere in code.
      /(?:openshift\.io|imagestreams\.dev)\//g,
      // A copy of accessors.ts: spec or status tags read by hand.
      /Array\.isArray\([^)]*\btags\)|\b(?:spec|status)\)?\.tags\b/g,
    ];
    const constantsIn = (text: string): Array<{ line: number; match: string }> =>
      codeOf(text)
        .split('\n')
        .flatMap((line, n) => patterns.flatMap((p) => [...line.matchAll(p)].map((m) => ({ line: n + 1, match: m[0] }))));
    // The scanner itself: prose is skipped, code is not (a value list after a help call, a template, a comparison).
    expect(constantsIn("x.description('an ImageStream').option('--m', 'Legacy');\n// 'Local'\n")).toEqual([]);
    expect(
      constantsIn("new Option('--m', 'Legacy').choices(['Legacy']);\nif (k === `DockerImage`) f(/'/, 'imagestreams.dev/x');\n").map(
        (c) => `${c.line}: ${c.match}`,
      ),
    ).toEqual(["1: 'Legacy'", '2: `DockerImage`', '2: imagestreams.dev/']);
    // Files this change did not own; each entry goes once the file takes the core's name (`importModes`, `defaultImportMode`).
    const pending: string[] = [];
    const found = files
      .filter((f) => layer(f) === 'cli')
      .flatMap((f) => constantsIn(readFileSync(path.join(src, f), 'utf8')).map((c) => `${f}: ${c.match}`));
    expect(found).toEqual(pending);
  });
});
