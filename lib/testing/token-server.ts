import type { KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { AccessTokenStore } from './access-token-store.js';
import { OAuthError, type TrustedKey } from './assertion-verifier.js';
import { generateCredentials, writeCredentialsFile } from './credentials-factory.js';
import { applyFault, type Fault } from './fault-injection.js';
import { BodyTooLargeError, readBody, sendJson } from './http-utils.js';
import { handleResourceRequest } from './resource-routes.js';
import type {
  CreateCredentialsOptions,
  LocalTokenServer,
  TokenServerOptions,
} from './server-api.js';
import {
  describeTokenRequest,
  exchangeAssertion,
  type TokenRequestRecord,
} from './token-endpoint.js';

/** Starts a local token server and resolves once it is listening. */
export async function startTokenServer(
  options: TokenServerOptions = {},
): Promise<LocalTokenServer> {
  const server = new TokenServer(options);
  await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return server;
}

class TokenServer implements LocalTokenServer {
  clockOffsetMs: number;
  tokenLifetimeSeconds: number;
  tokenRequests = 0;
  tokensIssued = 0;
  apiRequests = 0;
  lastTokenRequest: TokenRequestRecord | undefined;

  private origin = '';
  private configuredAudience: string | undefined;
  private closed = false;
  private readonly iatToleranceSeconds: number;
  private readonly requireJti: boolean;
  private readonly server: Server;
  private readonly keys = new Map<string, TrustedKey>();
  private readonly tokens = new AccessTokenStore();
  private readonly usedJtis = new Map<string, number>();
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly createdDirs: string[] = [];

  constructor(options: TokenServerOptions) {
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.configuredAudience = options.audience;
    this.iatToleranceSeconds = options.iatToleranceSeconds ?? 30;
    this.requireJti = options.requireJti ?? false;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return this.origin;
  }

  get tokenUri(): string {
    return `${this.origin}/oauth2/token`;
  }

  get audience(): string {
    return this.configuredAudience ?? this.origin;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.origin = `http://${hostInUrl}:${address.port}`;
  }

  async createCredentials(options: CreateCredentialsOptions = {}) {
    const generated = generateCredentials({
      alg: options.alg ?? 'RS256',
      tokenUri: this.tokenUri,
      audience: this.audience,
      clientEmail: options.clientEmail,
      pkcs8: options.pkcs8,
    });
    const { credentials, publicKey } = generated;
    const { path, createdDir } = await writeCredentialsFile(credentials, options.dir);
    if (createdDir !== undefined) {
      this.createdDirs.push(createdDir);
    }
    this.registerKey(credentials.private_key_id, publicKey, credentials.client_email);
    return { path, credentials, publicKey };
  }

  registerKey(kid: string, publicKey: KeyObject, clientEmail: string): void {
    this.keys.set(kid, { publicKey, clientEmail });
  }

  removeKey(kid: string): void {
    this.keys.delete(kid);
  }

  injectFaults(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  revokeAll(): void {
    this.tokens.revokeAll();
  }

  revokeToken(accessToken: string): void {
    this.tokens.revoke(accessToken);
  }

  resetCounters(): void {
    this.tokenRequests = 0;
    this.tokensIssued = 0;
    this.apiRequests = 0;
    this.lastTokenRequest = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await closing;
    await Promise.all(this.createdDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = () => this.now();
    try {
      const url = new URL(req.url ?? '/', this.origin);
      if (url.pathname === '/oauth2/token') {
        await this.handleTokenRequest(req, res);
      } else if (url.pathname.startsWith('/api/') || url.pathname === '/oauth2/user-info') {
        this.apiRequests++;
        await handleResourceRequest(req, res, url, this.tokens, now);
      } else if (url.pathname === '/health') {
        sendJson(res, now(), 200, { status: 'ok' });
      } else {
        sendJson(res, now(), 404, { error: 'not_found' });
      }
    } catch (error) {
      // The server writes no logs, so that test output stays clean. The client gets the error.
      if (error instanceof BodyTooLargeError) {
        sendJson(res, now(), 413, { error: 'invalid_request', error_description: error.message });
      } else {
        sendJson(res, now(), 500, { error: 'server_error' });
      }
    }
  }

  private async handleTokenRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      const errorResponse = {
        error: 'invalid_request',
        error_description: `method ${req.method ?? ''} is not allowed. Use POST`,
      };
      sendJson(res, this.now(), 405, errorResponse, { Allow: 'POST' });
      return;
    }
    this.tokenRequests++;
    const body = await readBody(req);
    const receivedAt = this.now();
    this.lastTokenRequest = describeTokenRequest(req.headers['content-type'], body, receivedAt);

    const fault = this.faults.shift();
    if (fault !== undefined) {
      await applyFault(res, fault, () => this.now(), (ms) => this.wait(ms));
      return;
    }

    try {
      const verified = await exchangeAssertion(req.headers['content-type'], body, {
        audience: this.audience,
        nowMs: receivedAt,
        iatToleranceSeconds: this.iatToleranceSeconds,
        requireJti: this.requireJti,
        keys: this.keys,
        usedJtis: this.usedJtis,
      });
      const lifetimeSeconds = this.tokenLifetimeSeconds;
      const expiresAtMs = this.now() + lifetimeSeconds * 1000;
      const accessToken = this.tokens.issue(verified.sub, verified.scopes, expiresAtMs);
      this.tokensIssued++;
      const tokenResponse = {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: lifetimeSeconds,
      };
      sendJson(res, this.now(), 200, tokenResponse, { Pragma: 'no-cache' });
    } catch (error) {
      if (!(error instanceof OAuthError)) {
        throw error;
      }
      const errorResponse = { error: error.code, error_description: error.message };
      sendJson(res, this.now(), error.status, errorResponse, { Pragma: 'no-cache' });
    }
  }
}
