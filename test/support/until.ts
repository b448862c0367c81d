/** Polls `read` until `accept` holds, or fails after `withinMs` with the last value (no fixed sleeps in tests). */
export async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, withinMs = 15_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${withinMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
