import { ServerError } from '../errors.js';
import { type Reply, ReplyError, ReplyTooLarge } from '../resp/resp.js';

/**
 * Encodes a reply as the JSON value of `result`, in RESP2 shapes: status and
 * bulk strings are JSON strings (invalid UTF-8 becomes U+FFFD), integers are
 * number tokens with every digit, nil is `null`, arrays stay arrays. An error
 * nested inside an array (a Lua table, say) becomes its message text.
 *
 * With `base64`, every string at every depth is base64 of its exact bytes,
 * except a top-level status `OK`, which Upstash sends raw.
 */
export function encodeResult(reply: Reply, base64: boolean, topLevel: boolean): string {
  if (reply === null) return 'null';
  if (reply instanceof Uint8Array) {
    const buf = reply as Buffer;
    return base64 ? `"${buf.toString('base64')}"` : JSON.stringify(buf.toString('utf8'));
  }
  switch (typeof reply) {
    case 'string':
      if (!base64 || (topLevel && reply === 'OK')) return JSON.stringify(reply);
      return `"${Buffer.from(reply, 'utf8').toString('base64')}"`;
    case 'number':
    case 'bigint':
      return String(reply);
  }
  if (reply instanceof ReplyError) {
    if (reply instanceof ReplyTooLarge) throw new ServerError('too-large', reply.message);
    return base64
      ? `"${Buffer.from(reply.message, 'utf8').toString('base64')}"`
      : JSON.stringify(reply.message);
  }
  let out = '[';
  for (let i = 0; i < reply.length; i++) {
    if (i > 0) out += ',';
    out += encodeResult(reply[i]!, base64, false);
  }
  return `${out}]`;
}

/** `{"result":…}` for a reply, `{"error":…}` for an error reply. */
export function encodeEntry(reply: Reply, base64: boolean): string {
  if (reply instanceof ReplyTooLarge) throw new ServerError('too-large', reply.message);
  if (reply instanceof ReplyError) return `{"error":${JSON.stringify(reply.message)}}`;
  return `{"result":${encodeResult(reply, base64, true)}}`;
}

/** `{"error":…}` for a message. */
export function encodeError(message: string): string {
  return `{"error":${JSON.stringify(message)}}`;
}
