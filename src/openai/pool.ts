/** Runs async jobs with at most `limit` in flight, results in input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  job: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    // After one failure no new job starts; the ones in flight finish (their results are recorded).
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await job(items[i]!, i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== null) throw (failed as { error: unknown }).error;
  return results;
}
