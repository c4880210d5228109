import { randomBytes } from "node:crypto";

/**
 * Subjects a user may not use. JetStream clients publish to `$JS.API.>` and receive on
 * `_INBOX.>`, so deny only data subjects or the user cannot use JetStream at all.
 */
export interface UserPermissions {
  /** Subjects (wildcards allowed) the user may not subscribe to. @default none */
  readonly denySubscribe?: readonly string[];
  /** Subjects (wildcards allowed) the user may not publish to. @default none */
  readonly denyPublish?: readonly string[];
}

/** A random secret fit for a password or token: 24 url-safe characters, nothing to escape. */
export function randomSecret(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * A config line `key: value` with the value as JSON, which the nats-server config parser reads;
 * JSON quotes and escapes every string, so secrets with odd characters stay intact.
 */
export function configLine(key: string, value: unknown): string {
  return `${key}: ${JSON.stringify(value)}`;
}

/** nats-server `permissions` block for `UserPermissions`, or undefined when nothing is denied. */
export function serverPermissions(p: UserPermissions): object | undefined {
  const block: Record<string, { deny: readonly string[] }> = {};
  if (p.denySubscribe !== undefined && p.denySubscribe.length > 0) block["subscribe"] = { deny: p.denySubscribe };
  if (p.denyPublish !== undefined && p.denyPublish.length > 0) block["publish"] = { deny: p.denyPublish };
  return Object.keys(block).length === 0 ? undefined : block;
}
