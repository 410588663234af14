/** What a request was, for metrics and logs: a small fixed set, so that series stay few. */
export const ROUTES = ['command', 'pipeline', 'multi-exec', 'path', 'stream', 'health', 'other'] as const;
export type Route = (typeof ROUTES)[number];
export const ROUTE_INDEX: Record<Route, number> = {
  command: 0,
  pipeline: 1,
  'multi-exec': 2,
  path: 3,
  stream: 4,
  health: 5,
  other: 6,
};

/** Upper bounds of the latency histogram, in seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
/** Error kinds by status, as `errorAnswer` makes them. */
const ERROR_KINDS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'too_large',
  415: 'unsupported_encoding',
  417: 'expectation_failed',
  431: 'headers_too_large',
  500: 'internal',
  503: 'unavailable',
  504: 'timeout',
};
/**
 * Distinct command names counted by name; any more are counted as `other`, so
 * that clients sending made-up names cannot grow the series (or memory) without bound.
 */
const MAX_COMMAND_NAMES = 500;

/** What the metrics read from each database when scraped. */
export interface DatabaseState {
  id: string;
  /** True while the shared connection (every master's, on a cluster) is ready. */
  connected: boolean;
  /** Times a connection to Redis was restored after it was lost. */
  reconnects: number;
  /** Redis connections open: shared, streams, ACL users. */
  connections: number;
}

/**
 * Counters for `GET /-/metrics`, in Prometheus text format. Recording is a few
 * array increments per request: no allocation, no label strings built on the hot path.
 */
export class Metrics {
  private readonly requests = new Float64Array(ROUTES.length * STATUS_CLASSES.length);
  private readonly buckets = new Float64Array(ROUTES.length * BUCKETS.length);
  private readonly sums = new Float64Array(ROUTES.length);
  private readonly counts = new Float64Array(ROUTES.length);
  private readonly errors = new Map<number, number>();
  private readonly commands = new Map<string, number>();
  private readonly byDatabase = new Map<string, number>();
  private otherCommands = 0;

  constructor(
    private readonly state: () => { databases: DatabaseState[]; streams: number; multi: boolean },
  ) {}

  /** A request answered: its route, status and duration in ms. */
  request(route: number, status: number, ms: number): void {
    const cls = Math.min(4, Math.max(0, ((status / 100) | 0) - 1));
    this.requests[route * 5 + cls]!++;
    const seconds = ms / 1000;
    this.sums[route]! += seconds;
    this.counts[route]!++;
    const base = route * BUCKETS.length;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.buckets[base + i]!++;
        break;
      }
    }
    if (status >= 400) this.errors.set(status, (this.errors.get(status) ?? 0) + 1);
  }

  /** A command about to run, by the name the client gave (any letter case). */
  command(name: unknown): void {
    if (typeof name !== 'string') return;
    const count = this.commands.get(name);
    if (count !== undefined) this.commands.set(name, count + 1);
    else if (this.commands.size < MAX_COMMAND_NAMES) this.commands.set(name, 1);
    else this.otherCommands++;
  }

  /** A request of a database (multi-database mode). */
  database(id: string): void {
    this.byDatabase.set(id, (this.byDatabase.get(id) ?? 0) + 1);
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    head('restash_http_requests_total', 'counter', 'HTTP requests answered, by route and status class.');
    ROUTES.forEach((route, r) => {
      STATUS_CLASSES.forEach((cls, c) => {
        const value = this.requests[r * 5 + c]!;
        if (value > 0 || cls === '2xx')
          out.push(`restash_http_requests_total{route="${route}",status="${cls}"} ${value}`);
      });
    });

    head(
      'restash_http_request_duration_seconds',
      'histogram',
      'Time from a request arriving to its answer being written, by route.',
    );
    ROUTES.forEach((route, r) => {
      let cumulative = 0;
      BUCKETS.forEach((bound, b) => {
        cumulative += this.buckets[r * BUCKETS.length + b]!;
        out.push(
          `restash_http_request_duration_seconds_bucket{route="${route}",le="${bound}"} ${cumulative}`,
        );
      });
      out.push(
        `restash_http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${this.counts[r]}`,
        `restash_http_request_duration_seconds_sum{route="${route}"} ${this.sums[r]}`,
        `restash_http_request_duration_seconds_count{route="${route}"} ${this.counts[r]}`,
      );
    });

    head(
      'restash_commands_total',
      'counter',
      'Redis commands received, by name (pipelines count each command).',
    );
    const names = new Map<string, number>();
    for (const [name, count] of this.commands) {
      const upper = name.toUpperCase();
      const label = /^[A-Z0-9_.|-]{1,64}$/.test(upper) ? upper : 'other';
      names.set(label, (names.get(label) ?? 0) + count);
    }
    if (this.otherCommands > 0) names.set('other', (names.get('other') ?? 0) + this.otherCommands);
    for (const [name, count] of [...names].sort())
      out.push(`restash_commands_total{command="${name}"} ${count}`);

    head('restash_errors_total', 'counter', 'Error answers, by kind.');
    for (const [status, count] of [...this.errors].sort((a, b) => a[0] - b[0])) {
      out.push(
        `restash_errors_total{kind="${ERROR_KINDS[status] ?? `http_${status}`}",status="${status}"} ${count}`,
      );
    }

    const { databases, streams, multi } = this.state();
    head('restash_redis_connected', 'gauge', '1 while the connection to Redis is ready, by database.');
    for (const db of databases)
      out.push(`restash_redis_connected{database="${db.id}"} ${db.connected ? 1 : 0}`);
    head(
      'restash_redis_reconnects_total',
      'counter',
      'Connections to Redis restored after being lost, by database.',
    );
    for (const db of databases)
      out.push(`restash_redis_reconnects_total{database="${db.id}"} ${db.reconnects}`);
    head(
      'restash_redis_connections',
      'gauge',
      'Redis connections open (shared, streams, ACL users), by database.',
    );
    for (const db of databases) out.push(`restash_redis_connections{database="${db.id}"} ${db.connections}`);
    head(
      'restash_sse_streams_open',
      'gauge',
      'Server-sent event streams open (subscribe, psubscribe, monitor).',
    );
    out.push(`restash_sse_streams_open ${streams}`);
    if (multi) {
      head('restash_database_requests_total', 'counter', 'Authenticated requests, by database.');
      for (const db of databases)
        out.push(`restash_database_requests_total{database="${db.id}"} ${this.byDatabase.get(db.id) ?? 0}`);
    }
    return `${out.join('\n')}\n`;
  }
}
