/** What the demo needs from its environment. */
export interface DemoConfig {
  port: number;
  host: string;
  restashUrl: string;
  restashToken: string;
}

/**
 * Reads PORT, HOST, RESTASH_URL and RESTASH_TOKEN; throws one message naming
 * every missing or bad variable, so a misconfigured start fails at once.
 */
export function readConfig(env: Record<string, string | undefined>): DemoConfig {
  const problems: string[] = [];
  const port = Number(env.PORT);
  if (!env.PORT) problems.push('PORT is not set');
  else if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`PORT must be a port number, got ${env.PORT}`);
  if (!env.HOST) problems.push('HOST is not set');
  if (!env.RESTASH_URL) problems.push('RESTASH_URL is not set');
  else if (!/^https?:\/\//.test(env.RESTASH_URL))
    problems.push(`RESTASH_URL must start with http:// or https://, got ${env.RESTASH_URL}`);
  if (!env.RESTASH_TOKEN) problems.push('RESTASH_TOKEN is not set');
  if (problems.length > 0) throw new Error(`[nest-demo] ${problems.join('; ')}`);
  return {
    port,
    host: env.HOST as string,
    restashUrl: env.RESTASH_URL as string,
    restashToken: env.RESTASH_TOKEN as string,
  };
}
