/**
 * @peculiar/x509 resolves its services through tsyringe, which refuses to load unless the
 * `Reflect` metadata API (a decorator proposal no engine ships) exists. Only the three functions
 * tsyringe calls are provided, backed by a WeakMap; the `reflect-metadata` package would replace this.
 */
type MetadataMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<string | symbol | undefined, MetadataMap>>();

function metadataOf(
  target: object,
  property: string | symbol | undefined,
  create: boolean,
): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (byProperty === undefined) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (map === undefined && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

function getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown {
  return metadataOf(target, property, false)?.get(key);
}

function getMetadata(key: unknown, target: object, property?: string | symbol): unknown {
  for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
    const map = metadataOf(t, property, false);
    if (map?.has(key)) return map.get(key);
  }
  return undefined;
}

function defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void {
  metadataOf(target, property, true)!.set(key, value);
}

export function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === "function") return;
  Object.assign(reflect, { getMetadata, getOwnMetadata, defineMetadata });
}
