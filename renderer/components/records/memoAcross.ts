/**
 * Memoization that survives unmounting: `memoAcross([rows, 'name'], () => expensive(rows))` returns
 * the same result for the same keys (objects compared by identity, held weakly; primitives by
 * value). Lets a 100,000-row table come back instantly after visiting a record.
 */
type Node = { weak: WeakMap<object, Node>; strong: Map<unknown, Node>; value?: unknown; has: boolean };

const newNode = (): Node => ({ weak: new WeakMap(), strong: new Map(), has: false });
const root = newNode();

export function memoAcross<T>(keys: readonly unknown[], compute: () => T): T {
  let node = root;
  for (const key of keys) {
    const isObject = (typeof key === 'object' && key !== null) || typeof key === 'function';
    let next = isObject ? node.weak.get(key as object) : node.strong.get(key);
    if (!next) {
      next = newNode();
      if (isObject) node.weak.set(key as object, next);
      else node.strong.set(key, next);
    }
    node = next;
  }
  if (!node.has) {
    node.value = compute();
    node.has = true;
  }
  return node.value as T;
}
