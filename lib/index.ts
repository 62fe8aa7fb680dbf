export { attachVendastaAuth } from './attach.js';
export { loadServiceAccount, ServiceAccount, CREDENTIALS_ENV } from './credentials.js';
export {
  VendastaAuthError,
  CredentialsError,
  TokenRequestError,
  isVendastaAuthError,
} from './errors.js';
export { MemoryTokenStore } from './stores/memory.js';
export { normalizeScopes } from './scopes.js';
export { isReplayable } from './interceptors.js';

export type { VendastaAuth } from './attach.js';
export type { CredentialsInput, ServiceAccountCredentialsJson, AssertionAlgorithm } from './credentials.js';
export type { VendastaAuthErrorCode, TokenRequestErrorDetails, UnsupportedCredentialsFormat } from './errors.js';
export type { VendastaAuthEvents, VendastaAuthEmitter, SkipReason, InvalidateReason } from './events.js';
export type { VendastaAuthOptions, HostPattern } from './options.js';
export type { VendastaAuthRequestOptions, NotRetriedReason } from './interceptors.js';
export type { RetryOptions, GrantType } from './token-endpoint.js';
export type { TokenStore } from './stores/types.js';
export type { Logger, LogLevel } from './logger.js';
