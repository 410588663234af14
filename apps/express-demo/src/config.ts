import { createHmac } from 'node:crypto';

/** What the demo needs from its environment. */
export interface DemoConfig {
  url: string;
  token: string;
  host: string;
  port: number;
  secret: string;
}

/** Reads the environment; throws one message naming every missing or bad variable. */
export function readConfig(env: Record<string, string | undefined>): DemoConfig {
  const problems: string[] = [];
  const url = env.RESTASH_URL ?? '';
  const token = env.RESTASH_TOKEN ?? '';
  if (!url) problems.push('RESTASH_URL is not set (the REST server, e.g. http://127.0.0.1:8079)');
  else if (!/^https?:\/\//.test(url))
    problems.push(`RESTASH_URL must start with http:// or https://, got ${url}`);
  if (!token) problems.push('RESTASH_TOKEN is not set (the server token)');
  const port = Number(env.PORT ?? 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`PORT must be a port number, got ${env.PORT}`);
  if (problems.length > 0) throw new Error(`[express-demo] ${problems.join('; ')}`);
  return {
    url,
    token,
    host: env.HOST || '127.0.0.1',
    port,
    // Stable across restarts (so cookies stay valid) and different for every server token.
    secret:
      env.SESSION_SECRET ||
      createHmac('sha256', token).update('express-demo session cookies').digest('base64url'),
  };
}
