import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

const VERSION = 'v1';

/**
 * Encrypts tokens before they go to a store, with AES-256-GCM under a key derived (HKDF-SHA-256)
 * from the service account's private key, so a store reader without the credentials gets nothing
 * usable. The cache key is bound as associated data, so a value cannot be moved to another key.
 */
export class TokenSealer {
  readonly #key: Buffer;

  constructor(privateKey: KeyObject) {
    const material = privateKey.export({ type: 'pkcs8', format: 'der' });
    this.#key = Buffer.from(
      hkdfSync('sha256', material, 'vendasta-axios-auth', 'token store encryption v1', 32),
    );
  }

  seal(cacheKey: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(cacheKey));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** Returns the plaintext, or undefined if the value was not sealed by this key for this cache key. */
  open(cacheKey: string, sealed: string): string | undefined {
    const [version, iv, ciphertext, tag] = sealed.split('.');
    if (version !== VERSION || iv === undefined || ciphertext === undefined || tag === undefined) {
      return undefined;
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(cacheKey));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
