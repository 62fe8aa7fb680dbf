export {
  generateCredentials,
  type AssertionAlgorithm,
  type GenerateCredentialsOptions,
  type GeneratedCredentials,
  type ServiceAccountCredentials,
} from './credentials-factory.js';
export type { Fault } from './fault-injection.js';
export { JWT_BEARER_GRANT_TYPE, type TokenRequestRecord } from './token-endpoint.js';
export type {
  CreateCredentialsOptions,
  LocalTokenServer,
  TokenServerOptions,
} from './server-api.js';
export { startTokenServer } from './token-server.js';
