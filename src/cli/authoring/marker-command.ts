/**
 * `imagestreams set marker FILE:LINE --from-image=stream:tag [--part P]`: write a setter marker on the value on that
 * line (so nobody hand-writes the JSON), and set the value at once when the stream tag has an image, so the
 * pull-request check passes right after. The stream tag must exist in the repository.
 */
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { MarkerPart } from '../../reconcile/markers.js';
import { markerTarget, planMarkers, readMarker } from '../../reconcile/markers.js';
import { notFoundMessage } from '../../reconcile/oc-objects.js';
import { StreamIndex } from '../../reconcile/stream-index.js';
import { nameOf } from '../../reconcile/accessors.js';
import { kinds } from '../../reconcile/model.js';
import { renderEdits } from '../../render/edits.js';
import type { FileChange } from '../../render/edits.js';
import { parseText } from '../../render/load.js';
import { insertMarker, markerComment } from '../../render/marker-insert.js';
import { RenderError } from '../../render/patch.js';
import { loadConfig } from '../config.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { writeAll } from '../write-files.js';
import type { AuthoringFlags } from './tag-command.js';
import { openWorkspace } from './tag-command.js';

export interface MarkerFlags extends AuthoringFlags {
  readonly fromImage?: string;
  readonly part?: MarkerPart;
}

export async function setMarkerCommand(target: string, flags: MarkerFlags, io: CliIo): Promise<ExitCodeValue> {
  const m = /^(.+):([1-9][0-9]*)$/.exec(target);
  if (!m) throw new UsageError(`"${target}" is not FILE:LINE (the line of the value to mark, from 1)`);
  if (!flags.fromImage) throw new UsageError('--from-image=<stream>:<tag> is required');
  const part = flags.part ?? 'image';
  const words = readMarker(markerComment(flags.fromImage, part));
  if (!words?.ok) throw new UsageError(`--from-image: ${words?.ok === false ? words.error : 'not a stream tag'}`);
  const config = await loadConfig(flags, io.env, io.cwd);
  const ws = await openWorkspace(flags, io);
  const file = path
    .relative(io.cwd, path.resolve(io.cwd, m[1] as string))
    .split(path.sep)
    .join('/');
  const parsed = ws.repo.files.get(file);
  if (!parsed) throw new UsageError(`${file} is not a file of the repository that imagestreams reads (a YAML file under --repo)`);
  if (parsed.format !== 'yaml') throw new UsageError(`${file} is JSON, which has no comments: markers live in YAML files`);
  const line = Number(m[2]);

  const index = new StreamIndex(ws.repo.objects, ws.defaultNamespace);
  const probe = { file, document: 0, pointer: '', streamTag: words.streamTag };
  const t = markerTarget(probe, ws.repo.objects, ws.defaultNamespace);
  const found = index.lookup(t.namespace, t.stream);
  if (found.kind === 'missing') throw new UsageError(notFoundMessage(kinds.imageStream, t.stream), 'not-found');
  if (found.kind === 'ambiguous') throw new UsageError(`image stream ${t.namespace}/${t.stream} is defined ${found.entries.length} times`);

  const inserted = insertMarker(file, parsed.text, line, words.streamTag, part);
  if (!inserted.ok) throw new UsageError(inserted.error);
  const reread = parseText(file, inserted.text, config.limits);
  if (!reread.ok) throw new RenderError(file, 'verify-failed', reread.diagnostic.message);
  const site = reread.file.markers.find((s) => s.pointer === inserted.pointer && s.document === inserted.document);

  // The value, now: from the statuses in the repository, as the next pass would resolve it.
  const streams = ws.repo.objects
    .filter((o) => o.kind === kinds.imageStream && !o.template)
    .map((o) => ({ namespace: ws.namespaceOf(o), name: nameOf(o.value) ?? '', value: o.value }));
  const plan = site
    ? planMarkers(
        [site],
        ws.repo.objects,
        streams,
        ws.defaultNamespace,
        config.settings.imagePullers ? { imagePullers: config.settings.imagePullers } : {},
      )
    : { plans: [], skips: [] };
  const edits = plan.plans.flatMap((p) => p.edits.map((op) => ({ document: inserted.document, op, object: p.workload })));
  const rendered = renderEdits(new Map([[file, reread.file]]), [{ file, edits }], {
    displayBase: io.cwd,
    maxBytes: config.limits.maxFileBytes,
  });
  const failed = rendered.failures[0];
  if (failed) throw new RenderError(failed.file, failed.code, failed.error);
  const after = rendered.changes[0]?.after ?? inserted.text;
  const change: FileChange = { file, absolute: path.resolve(io.cwd, file), before: parsed.text, after, edits };

  const value = plan.plans[0]?.changes[0]?.new;
  const said = `${file}:${line} ${inserted.pointer.slice(1)} follows ${t.namespace}/${t.stream}:${t.tag} (${part})`;
  const now = value !== undefined ? `; set to ${value}` : plan.skips[0] ? `; ${plan.skips[0].reason}, the next pass sets it` : '';
  if (after === parsed.text) {
    io.stdout(`${said}: already marked\n`);
    return ExitCode.ok;
  }
  if (flags.dryRun) {
    io.stdout(createTwoFilesPatch(`a/${file}`, `b/${file}`, parsed.text, after, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''));
    io.stdout(`would mark ${said}${now.replace('; set to', '; would set to')}\n`);
    return ExitCode.ok;
  }
  await writeAll([change]);
  io.stdout(`marked ${said}${now}\n`);
  return ExitCode.ok;
}
