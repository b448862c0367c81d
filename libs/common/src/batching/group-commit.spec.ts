import { GroupCommit } from './group-commit';

/** A write that records its groups and finishes only when the test releases it. */
function controlledWrite() {
  const groups: number[][] = [];
  const releases: Array<() => void> = [];
  const write = (items: readonly number[]): Promise<PromiseSettledResult<string>[]> => {
    groups.push([...items]);
    return new Promise((resolve) =>
      releases.push(() =>
        resolve(
          items.map((item) =>
            item < 0
              ? { status: 'rejected', reason: new Error(`bad ${item}`) }
              : { status: 'fulfilled', value: `done ${item}` },
          ),
        ),
      ),
    );
  };
  /** Lets the oldest running write finish, then lets the committer start the next group. */
  const releaseNext = async () => {
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { groups, write, releaseNext };
}

describe('GroupCommit', () => {
  it('writes an item at once when idle, and groups the items that arrive while a write runs', async () => {
    const { groups, write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 1, maxWeight: 100, weight: () => 1 });

    const results = [1, 2, 3, 4].map((item) => commit.submit(item));
    expect(groups).toEqual([[1]]);
    await releaseNext();
    expect(groups).toEqual([[1], [2, 3, 4]]);
    await releaseNext();

    await expect(Promise.all(results)).resolves.toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
  });

  it('keeps a group within maxWeight, oldest items first, and sends an item heavier than it alone', async () => {
    const { groups, write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 1, maxWeight: 10, weight: (item: number) => item });

    const results = [1, 4, 5, 2, 30, 3].map((item) => commit.submit(item));
    for (let i = 0; i < 5; i++) await releaseNext();

    expect(groups).toEqual([[1], [4, 5], [2], [30], [3]]);
    await expect(Promise.all(results)).resolves.toHaveLength(6);
  });

  it('runs up to maxInFlight writes at once', async () => {
    const { groups, write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 2, maxWeight: 100, weight: () => 1 });

    const results = [1, 2, 3, 4].map((item) => commit.submit(item));
    expect(groups).toEqual([[1], [2]]);
    await releaseNext();
    expect(groups).toEqual([[1], [2], [3, 4]]);
    await releaseNext();
    await releaseNext();
    await expect(Promise.all(results)).resolves.toHaveLength(4);
  });

  it("settles each item with its own result: one item's failure does not fail the rest of its group", async () => {
    const { write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 1, maxWeight: 100, weight: () => 1 });

    const settled = Promise.allSettled([0, 5, -5].map((item) => commit.submit(item)));
    await releaseNext();
    await releaseNext();

    expect(await settled).toEqual([
      { status: 'fulfilled', value: 'done 0' },
      { status: 'fulfilled', value: 'done 5' },
      { status: 'rejected', reason: new Error('bad -5') },
    ]);
  });

  it('fails every item of a group when the write itself fails, then goes on with the next group', async () => {
    let calls = 0;
    const commit = new GroupCommit(
      async (items: readonly number[]): Promise<PromiseSettledResult<number>[]> => {
        calls += 1;
        if (calls === 2) throw new Error('database gone');
        return items.map((value) => ({ status: 'fulfilled', value }));
      },
      { maxInFlight: 1, maxWeight: 100, weight: () => 1 },
    );

    const settled = await Promise.allSettled([1, 2, 3].map((item) => commit.submit(item)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('database gone') },
      { status: 'rejected', reason: new Error('database gone') },
    ]);
    await expect(commit.submit(4)).resolves.toBe(4);
  });

  it('fails a group whose write answers the wrong number of results', async () => {
    const commit = new GroupCommit(async (): Promise<PromiseSettledResult<number>[]> => [], {
      maxInFlight: 1,
      maxWeight: 100,
      weight: () => 1,
    });
    await expect(commit.submit(1)).rejects.toThrow('answered 0 results for 1 items');
  });

  it('refuses maxInFlight below 1', () => {
    expect(() => new GroupCommit(async () => [], { maxInFlight: 0, maxWeight: 1, weight: () => 1 })).toThrow(
      RangeError,
    );
  });
});
