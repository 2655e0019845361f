// The eviction rule of the per-node caches (verified secrets, verified token signatures): at most
// `maxEntries`, the oldest insertion dropped first (a Map keeps insertion order), so memory stays
// bounded however many distinct values are presented.

export function setBounded<K, V>(map: Map<K, V>, maxEntries: number, key: K, value: V): void {
  if (map.size >= maxEntries && !map.has(key)) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
