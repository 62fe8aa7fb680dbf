export { RedisTokenStore } from './stores/redis.js';

export type { RedisCommandClient, RedisTokenStoreOptions } from './stores/redis.js';
export type { TokenStore } from './stores/types.js';
