import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, buildIndex, MEDIA } from '../support/images.js';
import { EVENTS_MEDIA_TYPE, startNotificationReceiver, type NotificationReceiver } from '../support/notifications.js';
import { pushImage, pushIndex, RegistryClient } from '../support/push.js';
import { startRegistry, type Registry } from '../support/registry.js';

const SECRET = 'Bearer shared-secret-for-tests';

describe('registry notifications', () => {
  let receiver: NotificationReceiver;
  let reg: Registry;
  beforeAll(async () => {
    receiver = await startNotificationReceiver();
    reg = await startRegistry({
      notifications: { url: receiver.url, headers: { Authorization: SECRET, 'X-Test-Tag': 'infra' }, name: 'tests' },
    });
  });
  afterAll(async () => {
    await reg?.stop();
    await receiver?.stop();
  });

  it('delivers a push event with the shared-secret header, repository, tag and request host', async () => {
    const image = buildImage({ seed: 'notify' });
    await pushImage(reg, 'events/app', 'v1', image);
    const { event, envelope } = await receiver.waitFor(
      (e) => e.action === 'push' && e.target.repository === 'events/app' && e.target.tag === 'v1',
      10_000,
    );
    expect(envelope.method).toBe('POST');
    expect(envelope.contentType).toBe(EVENTS_MEDIA_TYPE);
    expect(envelope.headers.authorization).toBe(SECRET);
    expect(envelope.headers['x-test-tag']).toBe('infra');
    expect(event.target.digest).toBe(image.manifest.digest);
    expect(event.target.mediaType).toBe(MEDIA.dockerManifest);
    expect(event.target.size).toBe(image.manifest.size);
    expect(event.request?.host).toBe(reg.host);
    expect(event.request?.method).toBe('PUT');
    expect(event.target.references?.map((r) => r.digest)).toEqual(
      expect.arrayContaining([image.config.digest, ...image.layers.map((l) => l.digest)]),
    );
    // Blob pushes are application/octet-stream and ignored by the endpoint config.
    expect(receiver.events().every((r) => r.event.target.mediaType !== 'application/octet-stream')).toBe(true);
  });

  it('sends one event per child and then the tagged index for a multi-arch push', async () => {
    const index = buildIndex(
      [
        buildImage({ seed: 'n-multi', architecture: 'amd64', format: 'oci' }),
        buildImage({ seed: 'n-multi', architecture: 'arm64', format: 'oci' }),
      ],
      { format: 'oci' },
    );
    await pushIndex(reg, 'events/multi', 'latest', index);
    const { event } = await receiver.waitFor((e) => e.target.repository === 'events/multi' && e.target.tag === 'latest');
    expect(event.target.digest).toBe(index.manifest.digest);
    expect(event.target.mediaType).toBe(MEDIA.ociIndex);
    const children = await receiver.waitForCount(
      (e) => e.action === 'push' && e.target.repository === 'events/multi' && e.target.mediaType === MEDIA.ociManifest,
      2,
    );
    expect(children.map((c) => c.event.target.digest).sort()).toEqual(index.children.map((c) => c.manifest.digest).sort());
    expect(children.every((c) => c.event.target.tag === undefined || c.event.target.tag === '')).toBe(true);
  });

  it('reports deletes by digest', async () => {
    const image = buildImage({ seed: 'notify-delete' });
    await pushImage(reg, 'events/del', 'doomed', image);
    const client = new RegistryClient(reg);
    expect((await client.deleteManifest('events/del', image.manifest.digest)).status).toBe(202);
    await client.close();
    const { event } = await receiver.waitFor((e) => e.action === 'delete' && e.target.repository === 'events/del');
    expect(event.target.digest).toBe(image.manifest.digest);
  });

  it('waitFor times out with a useful message', async () => {
    await expect(receiver.waitFor((e) => e.target.repository === 'never/there', 200)).rejects.toThrow(/timed out after 200 ms/);
  });
});
