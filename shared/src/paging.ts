/** Walks every page of a keyed listing, so exports and copies never hold more than one page. */

/** One page of a listing and the key of the next one (undefined on the last page). */
export interface KeyedPage<T> {
  items: T[];
  nextKey?: Record<string, unknown> | undefined;
}

/**
 * Yields every item of a listing, one page at a time, as soon as each page arrives.
 *
 * @example
 * for await (const product of everyItem((startKey) => store.page(500, startKey))) out.write(product);
 */
export async function* everyItem<T>(
  page: (startKey: Record<string, unknown> | undefined) => Promise<KeyedPage<T>>,
): AsyncGenerator<T> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const current = await page(startKey);
    yield* current.items;
    startKey = current.nextKey;
  } while (startKey);
}
