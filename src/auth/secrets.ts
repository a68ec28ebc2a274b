/**
 * Secret keys at rest: sealed with AES-256-GCM under a key derived from ENIPLANE_MASTER_KEY when it
 * is set, stored as given otherwise (the server warns at start-up). A sealed value reads
 * `enc:v1:<iv>:<tag>:<ciphertext>` (base64 parts); anything else is a clear value.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

const PREFIX = 'enc:v1:';

export interface SecretBox {
  /** Whether new secrets are sealed. */
  readonly sealing: boolean;
  seal(plain: string): string;
  /** Throws when the value is sealed and this box has no (or another) master key. */
  open(stored: string): string;
}

export function secretBox(masterKey: string | undefined): SecretBox {
  // scrypt makes a guessed master key expensive to test; the salt only separates this use.
  const key = masterKey ? scryptSync(masterKey, 'eniplane/api-secret-keys/v1', 32) : undefined;
  return {
    sealing: key !== undefined,
    seal(plain) {
      if (!key) return plain;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${body.toString('base64')}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      if (!key) throw new Error('secret keys in the database are encrypted: set ENIPLANE_MASTER_KEY');
      const [iv, tag, body] = stored.slice(PREFIX.length).split(':');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64'));
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(body ?? '', 'base64')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('a secret key in the database cannot be decrypted with this ENIPLANE_MASTER_KEY');
      }
    },
  };
}

/** The box the process's environment asks for. */
export function secretBoxFromEnv(): SecretBox {
  return secretBox(process.env.ENIPLANE_MASTER_KEY || undefined);
}
