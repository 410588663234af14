/** Log levels, most verbose first. `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Fields of a log line. Never put a token or a Redis value in here. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** A structured logger writing one JSON object per line. */
export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const LOG_LEVELS = Object.keys(rank) as LogLevel[];

/**
 * Creates a logger that writes JSON lines (`{"time","level","msg",…}`) to `sink`.
 *
 * @example
 * const log = createLogger('info');
 * log.info('listening', { url: 'http://127.0.0.1:8079' });
 */
export function createLogger(level: LogLevel, sink: (line: string) => void = writeStderr): Logger {
  const min = rank[level];
  const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[lvl] < min) return;
    sink(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
  };
  return {
    level,
    enabled: (lvl) => rank[lvl] >= min,
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}
