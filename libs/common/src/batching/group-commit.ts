/** How `GroupCommit` forms its groups. */
export interface GroupCommitOptions<T> {
  /** Groups written at once (≥ 1): an item submitted while this many are running waits for the next group. */
  maxInFlight: number;
  /** A group takes waiting items, oldest first, while their summed weight stays within this (one item always goes). */
  maxWeight: number;
  weight(item: T): number;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: callers submit items one at a time and each awaits its own result, but the items
 * that arrive while `maxInFlight` groups are being written go out together as the next group, in
 * one call of `write`. An idle committer writes an item at once, alone, so grouping adds no delay;
 * under load, each write carries as much as arrived during the previous one. `write` answers one
 * settled result per item, in order, so one item's failure need not fail the others; a rejection
 * of `write` itself fails every item of the group.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: readonly T[]) => Promise<PromiseSettledResult<R>[]>,
    private readonly options: GroupCommitOptions<T>,
  ) {
    if (!(options.maxInFlight >= 1)) throw new RangeError('GroupCommit needs maxInFlight ≥ 1');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.startGroups();
    });
  }

  private startGroups(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      this.inFlight += 1;
      void this.run(this.nextGroup());
    }
  }

  private nextGroup(): Waiting<T, R>[] {
    let weight = this.options.weight(this.waiting[0].item);
    let size = 1;
    while (size < this.waiting.length) {
      const next = this.options.weight(this.waiting[size].item);
      if (weight + next > this.options.maxWeight) break;
      weight += next;
      size += 1;
    }
    return this.waiting.splice(0, size);
  }

  private async run(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(group.map((waiting) => waiting.item));
      if (results.length !== group.length)
        throw new Error(`GroupCommit: write answered ${results.length} results for ${group.length} items`);
      group.forEach((waiting, i) => {
        const result = results[i];
        if (result.status === 'fulfilled') waiting.resolve(result.value);
        else waiting.reject(result.reason);
      });
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
    } finally {
      this.inFlight -= 1;
      this.startGroups();
    }
  }
}
