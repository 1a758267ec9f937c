/** Polls for what arrives asynchronously (events, queues, logs) until it is there or time runs out. */

/**
 * Calls `probe` every 200 ms until `accept` takes its value or `timeoutMs` has passed, and returns
 * the last value either way: the test's own assertion then says what was missing.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
