import { DataDirError, EmbeddedRedisError } from '../embedded/redis-process.js';
import { createLogger } from '../log.js';
import { ConfigError, createServer } from '../server.js';
import { VERSION } from '../version.js';
import { helpText, resolveConfig } from './config.js';
import { cpuLimit, oneCpuHint } from './one-cpu.js';

/** Runs `restash-server` in the foreground until SIGINT/SIGTERM. Returns the exit code on failure. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number | undefined> {
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`restash-server: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (config.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { options } = config;
  // One logger for the server and this file: every line on stderr is one JSON object, at the chosen level.
  const log = createLogger(options.logLevel ?? 'info');
  options.logger = log;
  for (const warning of config.warnings) log.warn(warning);
  const limit = cpuLimit();
  const hint = oneCpuHint(limit);
  if (hint !== undefined) log.info(hint, { cpus: limit.cpus, by: limit.by });
  let server: ReturnType<typeof createServer>;
  try {
    server = createServer(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`restash-server: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, finishing requests in flight`, { signal });
    server.close().then(
      () => process.exit(0),
      (error: Error) => {
        log.error('error while stopping', { error: error.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => {
    if (!options.configFile && !options.tlsCert) {
      log.warn('SIGHUP ignored: there is no --config file or TLS certificate to reload', {
        signal: 'SIGHUP',
      });
      return;
    }
    server.reload().then(
      () => log.info('reloaded', { signal: 'SIGHUP', config: options.configFile, cert: options.tlsCert }),
      (error: Error) =>
        log.error('reload failed, keeping the running config', { signal: 'SIGHUP', error: error.message }),
    );
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  let url: string;
  try {
    url = await server.listen();
  } catch (error) {
    await server.close().catch(() => {});
    const message = (error as Error).message;
    if (error instanceof DataDirError || error instanceof ConfigError) {
      process.stderr.write(`restash-server: ${message}\n`);
      return 2;
    }
    if (error instanceof EmbeddedRedisError || (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`restash-server: ${message}\n`);
      return 1;
    }
    process.stderr.write(`restash-server: could not start: ${message}\n`);
    return 1;
  }
  const tokenLine = options.configFile
    ? `  tokens:  as given in ${options.configFile}`
    : config.tokenGenerated
      ? `  token:   ${options.token}   (generated, kept in ${options.dataDir}/token)`
      : '  token:   as given by --token / RESTASH_TOKEN';
  const shown = config.tokenGenerated ? options.token : '$RESTASH_TOKEN';
  process.stdout.write(
    [
      '',
      `Restash is listening on ${url}`,
      options.configFile
        ? `  databases: from ${options.configFile} (SIGHUP reloads it)`
        : `  redis:   ${server.redis}${options.redisUrl ? '' : `, data in ${options.dataDir}`}`,
      tokenLine,
      options.readOnlyToken ? '  read-only token: as given' : undefined,
      `  try:     curl ${url}/set/hello/world -H "Authorization: Bearer ${shown}"`,
      `           curl ${url}/get/hello -H "Authorization: Bearer ${shown}"`,
      '',
    ]
      .filter((line) => line !== undefined)
      .join('\n'),
  );
  process.stdout.write('\n');
  return undefined;
}
