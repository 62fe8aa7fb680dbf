// Creates the package's Redis token store for the fleet workers, when the build has one.
import { importDist } from './dist.js';

const MODULE = 'redis.js';

/** Returns why the Redis store cannot be used, or undefined when it can. */
export async function redisStoreUnavailable() {
  try {
    await importDist(MODULE);
    return undefined;
  } catch {
    return 'Redis store not available';
  }
}

/** Creates a Redis token store connected to `url`. */
export async function createRedisStore(url) {
  const module = await importDist(MODULE);
  return new module.RedisTokenStore({ url });
}
