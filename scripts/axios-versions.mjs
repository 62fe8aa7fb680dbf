// The axios 1.x releases that CI tests: the oldest we support, which must equal the floor of the
// peerDependency range in package.json, and the one installed in node_modules, the newest.
import { readFileSync } from 'node:fs';

export const OLDEST_AXIOS = '1.7.0';

/** Returns the version of axios in the repository's node_modules. */
export function installedAxios() {
  const manifest = new URL('../node_modules/axios/package.json', import.meta.url);
  return JSON.parse(readFileSync(manifest, 'utf8')).version;
}
