/** tag-events.json against the status model (semantics §3, §4, §5.3, §7). Deliberate differences are named. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NamedTagEventList as StatusTag, TagEvent, TagReference as SpecTag } from '../../src/reconcile/model.js';
import {
  addTagEvent,
  applyImportSuccess,
  latestTaggedImage,
  resolveImageID,
  resolveLatestTaggedImage,
  statusHeadChanged,
  tagRefChanged,
  updateTrackingTags,
} from '../../src/reconcile/status.js';

type Case = Record<string, unknown> & { name?: string };
const groups = (
  JSON.parse(readFileSync(new URL('../../fixtures/vectors/tag-events.json', import.meta.url), 'utf8')) as {
    groups: Record<string, { cases: Case[] }>;
  }
).groups;
const cases = (g: string): Case[] => groups[g]?.cases ?? [];
const clone = <T>(v: T): T => structuredClone(v);
const title = (c: Case, i: number): string => c.name ?? `case ${i + 1}`;

describe('addTagEventToImageStream (§4.2)', () => {
  cases('addTagEventToImageStream').forEach((c, i) => {
    it(title(c, i), () => {
      const tags = clone(c.statusTagsBefore as StatusTag[]);
      expect(addTagEvent(tags, c.tag as string, clone(c.next as TagEvent))).toBe(c.expectedChanged);
      expect(tags).toEqual(c.statusTagsAfter);
    });
  });
});

describe('latestTaggedImage (§4.4)', () => {
  cases('latestTaggedImage').forEach((c, i) => {
    it(title(c, i), () => {
      const got = latestTaggedImage(c.statusTags as StatusTag[], c.tag as string);
      if (c.expectNotFound) expect(got).toBeUndefined();
      else expect(got?.dockerImageReference).toBe(c.expectedDockerImageReference);
    });
  });
});

describe('resolveLatestTaggedImage (§7)', () => {
  cases('resolveLatestTaggedImage').forEach((c, i) => {
    it(title(c, i), () => {
      const got = resolveLatestTaggedImage(
        c.statusTags as StatusTag[],
        c.specTags as SpecTag[],
        c.statusDockerImageRepository as string,
        c.tag as string,
      );
      if (c.expectNotFound) expect(got).toBeUndefined();
      else expect(got).toBe(c.expected);
    });
  });
});

describe('updateTrackingTags (§3.7)', () => {
  cases('updateTrackingTags').forEach((c, i) => {
    it(title(c, i), () => {
      const stream = c.stream as {
        metadata: { name: string; namespace: string };
        spec: { tags: SpecTag[] };
        status: { tags: StatusTag[] };
      };
      const tags = clone(stream.status.tags);
      const n = updateTrackingTags(
        tags,
        stream.spec.tags,
        stream.metadata.name,
        stream.metadata.namespace,
        c.updatedTag as string,
        clone(c.event as TagEvent),
      );
      expect(n).toBe(c.expectedUpdatedCount);
      expect(tags).toEqual(c.statusTagsAfter);
    });
  });
});

describe('tagRefChanged (§5.3)', () => {
  cases('tagRefChanged').forEach((c, i) => {
    it(title(c, i), () => expect(tagRefChanged(c.old as SpecTag, c.next as SpecTag, 'streamnamespace')).toBe(c.expected));
  });
});

describe('statusHeadChanged (§3.7)', () => {
  cases('statusHeadChanged').forEach((c, i) => {
    it(title(c, i), () =>
      expect(statusHeadChanged(c.old as TagEvent[], c.new as TagEvent[])).toEqual({ changed: c.changed, deleted: c.deleted }),
    );
  });
});

describe('resolveImageID (§3.5)', () => {
  cases('resolveImageID').forEach((c, i) => {
    it(title(c, i), () => {
      const got = resolveImageID(c.statusTags as StatusTag[], c.imageID as string);
      if (c.expectedError) expect(got).toMatchObject({ ok: false, message: c.fullErrorMessage });
      else expect(got).toEqual({ ok: true, event: c.expected });
    });
  });
});

describe('importSuccessful (§6.7), status part', () => {
  // Deliberate difference (semantics §13.3): OpenShift also resets the spec tag (from := requested reference,
  // generation := 0 → new stream generation). imagestreams never rewrites a user's `from` and writes a spec tag
  // generation only where the user asked for a re-import with `generation: 0`; the status it writes is the same.
  cases('importSuccessful').forEach((c, i) => {
    it(title(c, i), () => {
      const before = c.streamBefore as { spec: { tags: SpecTag[] }; status: { tags: StatusTag[] } };
      const after = c.streamAfter as { status: { tags: StatusTag[] } };
      const tags = clone(before.status.tags);
      const image = c.image as { dockerImageReference: string; name: string };
      const spec = before.spec.tags[0];
      applyImportSuccess(tags, spec?.name ?? '', spec?.generation, {
        created: '<now>',
        dockerImageReference: image.dockerImageReference,
        image: image.name,
        generation: c.nextGeneration as number,
      });
      expect(tags).toEqual(after.status.tags);
    });
  });
});

describe('resolvePullSpecForTag', () => {
  cases('resolvePullSpecForTag').forEach((c, i) => {
    it(title(c, i), async () => {
      const { resolvePullSpecForTag } = await import('../../src/reconcile/status.js');
      const got = resolvePullSpecForTag(c.stream as never, c.tag as string, c.defaultExternal as boolean, c.requireLatest as boolean);
      if (c.expectedError) expect(got).toEqual({ ok: false, error: c.expectedError });
      else expect(got).toEqual({ ok: true, value: c.expected });
    });
  });
});

describe('specTagChangeToStatus (§3), through the planner', () => {
  // Deliberate difference (semantics §13.3): with no API server, new events carry the stream's next generation, not
  // the server's stream generation (0 in these vectors), so generations are left out of the comparison; "changed"
  // comes from the import record, built here from `previousSpecTags`.
  cases('specTagChangeToStatus').forEach((c, i) => {
    it(title(c, i), async () => {
      const { planStreams } = await import('../../src/reconcile/plan.js');
      const { formatImportRecord, importRecordAnnotation, tagSpecHash } = await import('../../src/reconcile/import-record.js');
      const previous = (c.previousSpecTags as SpecTag[] | null) ?? [];
      const record = formatImportRecord(new Map(previous.map((t) => [t.name, tagSpecHash(t, 'ns')])));
      const value = {
        apiVersion: 'image.openshift.io/v1',
        kind: 'ImageStream',
        metadata: {
          name: 'stream',
          namespace: 'ns',
          ...(previous.length > 0 ? { annotations: { [importRecordAnnotation]: record } } : {}),
        },
        spec: { tags: c.specTags },
        status: { dockerImageRepository: c.statusDockerImageRepository, tags: c.statusTagsBefore },
      };
      const result = planStreams({
        streams: [{ key: 's', namespace: 'ns', name: 'stream', value }],
        tagResults: new Map(),
        repositoryResults: new Map(),
        now: '<now>',
        policy: {},
      });
      const status = structuredClone(value.status) as { tags: StatusTag[] };
      for (const e of result.streams[0]?.edits ?? []) {
        if (!e.path.startsWith('/status')) continue;
        const { applyOpToValue } = await import('../../src/render/patch.js');
        const next = applyOpToValue({ status }, { ...e, path: e.path } as never) as { status: { tags: StatusTag[] } };
        Object.assign(status, next.status);
      }
      const strip = (tags: StatusTag[]) => tags.map((t) => ({ ...t, items: (t.items ?? []).map(({ generation: _g, ...rest }) => rest) }));
      expect(strip(status.tags)).toEqual(strip(c.statusTagsAfter as StatusTag[]));
    });
  });
});
