import { SystemClock, type JobPayloads, type JobQueue } from '@app/common';
import { Logger } from '@nestjs/common';
import { KEY_USAGE_MAX_PENDING, KeyUsageRecorder } from './key-usage-recorder.service';

type Payload = JobPayloads['identity.record-key-usage'];

/** Stands in for the BullMQ producer (a unit test: the integration spec uses the real queue). */
function fakeQueue(fail = false): { queue: JobQueue; sent: Payload[] } {
  const sent: Payload[] = [];
  const queue = {
    enqueue: async (_name: string, payload: Payload) => {
      if (fail) throw new Error('redis down');
      sent.push(payload);
    },
  } as unknown as JobQueue;
  return { queue, sent };
}

describe('KeyUsageRecorder', () => {
  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

  it('keeps only the latest use per key and sends them as one job', async () => {
    const { queue, sent } = fakeQueue();
    const recorder = new KeyUsageRecorder(queue, new SystemClock());
    recorder.record('k1', at(5));
    recorder.record('k1', at(1));
    recorder.record('k2', at(3));
    recorder.record('k1', at(7));
    await recorder.flush();
    expect(sent).toEqual([
      {
        uses: [
          { keyId: 'k1', usedAt: at(7).toISOString() },
          { keyId: 'k2', usedAt: at(3).toISOString() },
        ],
      },
    ]);
    await recorder.flush();
    expect(sent).toHaveLength(1);
    await recorder.beforeApplicationShutdown();
  });

  it('keeps the uses for the next flush when the queue is unreachable', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failing = fakeQueue(true);
    const recorder = new KeyUsageRecorder(failing.queue, new SystemClock());
    recorder.record('k1', at(5));
    await recorder.flush();
    expect(recorder.pendingCount).toBe(1);
    recorder.record('k1', at(2));
    const working = fakeQueue();
    Object.assign(recorder, { jobs: working.queue });
    await recorder.beforeApplicationShutdown();
    expect(working.sent).toEqual([{ uses: [{ keyId: 'k1', usedAt: at(5).toISOString() }] }]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('flushes early once many keys are waiting', async () => {
    const { queue, sent } = fakeQueue();
    const recorder = new KeyUsageRecorder(queue, new SystemClock());
    for (let i = 0; i < KEY_USAGE_MAX_PENDING; i++) recorder.record(`k${i}`, at(1));
    await recorder.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0].uses).toHaveLength(KEY_USAGE_MAX_PENDING);
    await recorder.beforeApplicationShutdown();
  });
});
