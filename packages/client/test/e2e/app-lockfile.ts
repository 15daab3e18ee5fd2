/**
 * A package-lock.json for a new app that depends on the checkout's packages as tarballs, made from the
 * checkout's own lockfile: every package the tarballs (and the app's other dependencies) need, at the
 * version and integrity `npm ci` installed in the checkout. With it, `npm ci --offline` installs the
 * app from the npm cache alone: npm needs no registry metadata for a locked tree, only the tarballs,
 * which `npm ci` cached by their integrity.
 */

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

export interface Lockfile {
  readonly lockfileVersion: number;
  readonly packages: Readonly<Record<string, LockEntry>>;
  readonly [field: string]: unknown;
}

export interface Tarball {
  /** The package's manifest, as packed. */
  readonly manifest: { readonly name: string; readonly version: string } & LockEntry;
  /** Its `file:` specifier, relative to the app. */
  readonly spec: string;
  readonly integrity: string;
}

export interface AppManifest {
  readonly name: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** Where `name` resolves from the package at `location` (Node's lookup through parent folders). */
function resolveIn(lock: Lockfile, location: string, name: string): string | undefined {
  let from = location;
  for (;;) {
    const candidate = from === "" ? `node_modules/${name}` : `${from}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (from === "") return undefined;
    const parent = from.lastIndexOf("/node_modules/");
    from = parent === -1 ? "" : from.slice(0, parent);
  }
}

/** Keep what says what to install; drop what says why the checkout had it (dev, peer, workspace). */
function appEntry(entry: LockEntry): LockEntry {
  const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry;
  return kept;
}

export function appLockfile(
  repoLock: Lockfile,
  manifest: AppManifest,
  tarballs: ReadonlyMap<string, Tarball>,
): Lockfile {
  const packages: Record<string, LockEntry> = { "": { ...manifest } };
  /** Lock locations of the checkout still to walk, and the dependencies of each that must be there. */
  const queue: { from: string; required: readonly string[]; optional: readonly string[] }[] = [];
  /** A workspace's folder in the checkout, and where its tarball goes in the app. */
  const moved: [string, string][] = [];
  const inApp = (location: string) => {
    const [folder, to] = moved.find(([folder]) => location.startsWith(`${folder}/`)) ?? ["", ""];
    return folder === "" ? location : to + location.slice(folder.length);
  };
  for (const [name, tarball] of tarballs) {
    const workspace = Object.keys(repoLock.packages).find(
      (location) => !location.includes("node_modules") && repoLock.packages[location]?.name === name,
    );
    if (workspace === undefined) throw new Error(`${name} is no workspace of the checkout's lockfile`);
    moved.push([workspace, `node_modules/${name}`]);
    const { name: _name, scripts: _scripts, files: _files, exports: _exports, ...fields } = tarball.manifest;
    packages[`node_modules/${name}`] = {
      ...appEntry(fields),
      resolved: tarball.spec,
      integrity: tarball.integrity,
    };
    queue.push({ from: workspace, required: Object.keys(tarball.manifest.dependencies ?? {}), optional: [] });
  }
  queue.push({ from: "", required: Object.keys(manifest.devDependencies), optional: [] });
  while (queue.length > 0) {
    const { from, required, optional } = queue.shift()!;
    for (const name of [...required, ...optional]) {
      if (tarballs.has(name)) continue;
      const found = resolveIn(repoLock, from, name);
      if (found === undefined) {
        // Optional and peer dependencies of other platforms or uses need not be there.
        if (required.includes(name))
          throw new Error(`${name}, needed by ${from || "the app"}, is not locked`);
        continue;
      }
      const target = inApp(found);
      if (packages[target] !== undefined) continue;
      const entry = repoLock.packages[found]!;
      packages[target] = appEntry(entry);
      queue.push({
        from: found,
        required: Object.keys(entry.dependencies ?? {}),
        optional: [
          ...Object.keys(entry.optionalDependencies ?? {}),
          ...Object.keys(entry.peerDependencies ?? {}),
        ],
      });
    }
  }
  return { name: manifest.name, lockfileVersion: repoLock.lockfileVersion, requires: true, packages };
}
