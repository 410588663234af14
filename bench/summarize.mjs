// Turns the per-run records written by run.sh (raw/runs.jsonl + raw/meta.json)
// into medians, ratios and warnings: prints a table, writes latest.json.
//
//   node bench/summarize.mjs bench/results/raw bench/results/latest.json
//
// No dependencies: node's standard library and ./lib.mjs (which has none either).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { medianInterval } from './lib.mjs';

const [rawDir, outFile] = process.argv.slice(2);
if (!rawDir || !outFile) {
  console.error('usage: node summarize.mjs <raw dir> <out.json>');
  process.exit(2);
}
const meta = JSON.parse(readFileSync(join(rawDir, 'meta.json'), 'utf8'));
const tick_us = 1e6 / meta.clk_tck;
const records = readFileSync(join(rawDir, 'runs.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));

// One flat row per measured run, every figure in the same units whatever the tool.
const runs = records.map((r) => {
  const t = r.ticks;
  const wall_s = r.tool === 'wrk' ? r.wrk.duration_us / 1e6 : r.rb.wall_ns / 1e9;
  // % of one core over the run, from clock ticks.
  const core = (ticks) => (100 * ticks * tick_us) / (wall_s * 1e6);
  // Anything that ran on the two CPUs besides the server, Redis, the load generator
  // and the packet capture of WIRE=1 runs: other work on the machine, which the
  // figures then share CPUs with.
  const other = t.busy - t.server - t.redis - t.load - (t.capture ?? 0);
  const common = {
    round: r.round,
    scenario: r.scenario,
    target: r.target,
    wall_s,
    // >1 when earlier attempts were thrown away because other processes were busy.
    attempts: r.attempts ?? 1,
    load_cpu_pct: core(t.load),
    redis_cpu_pct: core(t.redis),
    other_cpu_pct: Math.max(0, core(other)),
    steal_pct: t.total > 0 ? (100 * t.steal) / t.total : 0,
    capture_cpu_pct: t.capture ? core(t.capture) : null,
  };
  if (r.tool === 'wrk') {
    const w = r.wrk;
    const cmds = w.requests * r.commands_per_request;
    return {
      ...common,
      requests: w.requests,
      rps: w.requests / wall_s,
      cmds_per_s: cmds / wall_s,
      p50_us: w.p50_us,
      p99_us: w.p99_us,
      p999_us: w.p999_us,
      max_us: w.max_us,
      // CPU time of the server process (all threads) per HTTP request, and how
      // busy its pinned core was: well under 100% means it was not the bottleneck.
      server_cpu_us_per_req: w.requests > 0 ? (t.server * tick_us) / w.requests : null,
      server_cpu_pct: core(t.server),
      redis_cpu_us_per_cmd: cmds > 0 ? (t.redis * tick_us) / cmds : null,
      // wrk counts status > 399 as errors.status; the rest are socket-level.
      non_2xx: w.errors.status,
      socket_errors: w.errors.connect + w.errors.read + w.errors.write + w.errors.timeout,
      errors_detail: w.errors,
      // WIRE=1: from wrk's write of a request to the server's first packet back (bench/wire.mjs).
      wire_p50_us: r.wire?.p50_us ?? null,
      wire_p99_us: r.wire?.p99_us ?? null,
      wire_answered: r.wire?.answered ?? null,
      wire_dropped: r.wire?.dropped ?? null,
    };
  }
  const b = r.rb;
  return {
    ...common,
    requests: b.requests,
    rps: b.rps,
    cmds_per_s: b.rps,
    p50_us: b.p50_ms * 1000,
    p99_us: b.p99_ms * 1000,
    p999_us: null,
    max_us: null,
    server_cpu_us_per_req: null,
    server_cpu_pct: null,
    redis_cpu_us_per_cmd: (t.redis * tick_us) / b.requests,
    non_2xx: 0,
    socket_errors: 0,
  };
});

const median = (values) => {
  const v = values.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

// Medians per scenario × target, each metric on its own (the median req/s and
// the median p99 may come from different rounds).
const groups = new Map();
for (const run of runs) {
  const key = `${run.scenario}|${run.target}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(run);
}
const medians = {};
for (const [key, list] of groups) {
  const [scenario, target] = key.split('|');
  const rps = list.map((r) => r.rps);
  medians[scenario] ??= {};
  medians[scenario][target] = {
    rounds: list.length,
    rps: median(rps),
    cmds_per_s: median(list.map((r) => r.cmds_per_s)),
    p50_us: median(list.map((r) => r.p50_us)),
    p99_us: median(list.map((r) => r.p99_us)),
    server_cpu_us_per_req: median(list.map((r) => r.server_cpu_us_per_req)),
    server_cpu_pct: median(list.map((r) => r.server_cpu_pct)),
    redis_cpu_us_per_cmd: median(list.map((r) => r.redis_cpu_us_per_cmd)),
    rps_min: Math.min(...rps),
    rps_max: Math.max(...rps),
    // Spread between rounds: (max − min) / median, the noise to keep in mind.
    rps_spread_pct: (100 * (Math.max(...rps) - Math.min(...rps))) / median(rps),
    non_2xx: list.reduce((n, r) => n + r.non_2xx, 0),
    socket_errors: list.reduce((n, r) => n + r.socket_errors, 0),
    redis_cpu_pct: median(list.map((r) => r.redis_cpu_pct)),
    load_cpu_pct: median(list.map((r) => r.load_cpu_pct)),
    other_cpu_pct: median(list.map((r) => r.other_cpu_pct)),
    steal_pct: median(list.map((r) => r.steal_pct)),
    wire_p50_us: median(list.map((r) => r.wire_p50_us)),
    wire_p99_us: median(list.map((r) => r.wire_p99_us)),
    capture_cpu_pct: median(list.map((r) => r.capture_cpu_pct)),
    retried_runs: list.filter((r) => r.attempts > 1).length,
  };
}

const ratio = (a, b) => (a != null && b != null && b !== 0 ? a / b : null);
const m = (scenario, target) => medians[scenario]?.[target];
const rbP = `redis-benchmark-P${meta.config.rb_pipeline}`;
// Our servers in the get/set/pipeline scenarios: one per HTTP engine (ours-fast, ours-node),
// ours-ref for another build, or plain `ours` in runs made before there were two engines.
const oursTargets = (scenario) =>
  Object.keys(medians[scenario] ?? {}).filter(
    (target) => target === 'ours' || /^ours-(?!single$|cluster$)/.test(target),
  );
const ratios = {};
for (const scenario of ['get', 'set']) {
  const webdis = m(scenario, 'webdis');
  if (!webdis) continue;
  for (const target of oursTargets(scenario)) {
    const ours = m(scenario, target);
    ratios[scenario] ??= {};
    ratios[scenario][target] = {
      ours_over_webdis_rps: ratio(ours.rps, webdis.rps),
      ours_p99_us: ours.p99_us,
      webdis_p99_us: webdis.p99_us,
      ours_over_webdis_p99: ratio(ours.p99_us, webdis.p99_us),
      ours_over_webdis_cpu_per_req: ratio(ours.server_cpu_us_per_req, webdis.server_cpu_us_per_req),
    };
  }
}
for (const target of oursTargets('pipeline')) {
  const ours = m('pipeline', target);
  ratios.pipeline ??= {};
  ratios.pipeline[target] = {
    ours_cmds_per_s: ours.cmds_per_s,
    [`ours_cmds_over_${rbP.replaceAll('-', '_')}`]: ratio(ours.cmds_per_s, m('pipeline', rbP)?.cmds_per_s),
    ours_cmds_over_redis_benchmark_P1: ratio(
      ours.cmds_per_s,
      m('pipeline', 'redis-benchmark-P1')?.cmds_per_s,
    ),
    ours_p99_us: ours.p99_us,
  };
}
// The fast engine against node:http, same build, same run.
for (const scenario of ['get', 'set', 'pipeline']) {
  const fast = m(scenario, 'ours-fast');
  const node = m(scenario, 'ours-node');
  if (!fast || !node) continue;
  ratios.engines ??= {};
  ratios.engines[scenario] = {
    fast_over_node_rps: ratio(fast.rps, node.rps),
    fast_over_node_p99: ratio(fast.p99_us, node.p99_us),
    fast_over_node_cpu_per_req: ratio(fast.server_cpu_us_per_req, node.server_cpu_us_per_req),
  };
}
// Cluster scenarios: ours in front of the cluster against ours in front of one
// Redis, same requests, same pinning.
for (const scenario of ['cluster-get', 'cluster-set', 'cluster-pipeline']) {
  const single = m(scenario, 'ours-single');
  const cluster = m(scenario, 'ours-cluster');
  if (!single || !cluster) continue;
  ratios[scenario] = {
    single_rps: single.rps,
    cluster_rps: cluster.rps,
    cluster_over_single_rps: ratio(cluster.rps, single.rps),
    single_cmds_per_s: single.cmds_per_s,
    cluster_cmds_per_s: cluster.cmds_per_s,
    single_p99_us: single.p99_us,
    cluster_p99_us: cluster.p99_us,
    cluster_over_single_p99: ratio(cluster.p99_us, single.p99_us),
    cluster_over_single_cpu_per_req: ratio(cluster.server_cpu_us_per_req, single.server_cpu_us_per_req),
  };
}

// Anything that makes the figures suspect goes here and is printed last.
const warnings = [];
/** % of a core used by wrk and Redis on LOAD_CPU past which their own queueing shows in the latencies. */
const LOAD_CORE_LIMIT = 85;
for (const run of runs) {
  if (run.wire_dropped > 0) {
    warnings.push(
      `round ${run.round} ${run.scenario}/${run.target}: the capture lost ${run.wire_dropped} packets, ` +
        'so its wire latencies miss some requests',
    );
  }
  if (run.non_2xx > 0 || run.socket_errors > 0) {
    warnings.push(
      `round ${run.round} ${run.scenario}/${run.target}: ${run.non_2xx} non-2xx responses, ` +
        `socket errors ${JSON.stringify(run.errors_detail)} out of ${run.requests} requests`,
    );
  }
}
for (const [scenario, targets] of Object.entries(medians)) {
  for (const [target, s] of Object.entries(targets)) {
    if (s.rounds > 1 && s.rps_spread_pct > 10) {
      warnings.push(`${scenario}/${target}: req/s spread ${s.rps_spread_pct.toFixed(0)}% between rounds`);
    }
    if (s.steal_pct > 2) warnings.push(`${scenario}/${target}: ${s.steal_pct.toFixed(1)}% CPU steal`);
    if (s.other_cpu_pct > 10) {
      warnings.push(
        `${scenario}/${target}: other processes used ${s.other_cpu_pct.toFixed(0)}% of a core on the benchmark CPUs`,
      );
    }
    // wrk and Redis share LOAD_CPU: near full, the latencies wrk records include their waits for it.
    const loadCore = (s.load_cpu_pct ?? 0) + (s.redis_cpu_pct ?? 0);
    if (
      !target.startsWith('redis-benchmark') &&
      meta.config.load_cpu !== meta.config.server_cpu &&
      loadCore >= LOAD_CORE_LIMIT
    ) {
      warnings.push(
        `${scenario}/${target}: the load core (wrk + Redis, CPU ${meta.config.load_cpu}) was ${loadCore.toFixed(0)}% busy, ` +
          "so this target's latencies include wrk's and Redis's waits for that core",
      );
    }
    if (s.server_cpu_pct !== null && s.server_cpu_pct < 90) {
      warnings.push(
        `${scenario}/${target}: server core only ${s.server_cpu_pct.toFixed(0)}% busy, so the server was not ` +
          'the only limit (the load generator, Redis on its core, or other processes were too)',
      );
    }
  }
}
const retried = runs.filter((r) => r.attempts > 1);
if (retried.length) {
  warnings.push(
    `${retried.length} run(s) were repeated because other processes were busy during them: ` +
      retried.map((r) => `r${r.round} ${r.scenario}/${r.target} ×${r.attempts}`).join(', '),
  );
}
const serverLogs = readdirSync(rawDir).filter((file) => /^ours.*\.stderr$/.test(file));
for (const file of [...serverLogs, 'webdis.stderr', 'webdis.log']) {
  const path = join(rawDir, file);
  if (existsSync(path)) {
    const lines = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean);
    if (lines.length) {
      warnings.push(
        `${file}: ${lines.length} line(s), the last ones:\n    ${lines.slice(-5).join('\n    ')}`,
      );
    }
  }
}

// Paired ratios: each round's ratio of two targets measured a few seconds apart, then the
// median (and range) over the rounds. On a VM whose speed drifts by 2x within minutes, this
// is steadier than the ratio of two medians, which may come from rounds far apart.
const paired = {};
const runOf = (round, scenario, target) =>
  runs.find((r) => r.round === round && r.scenario === scenario && r.target === target);
const pairsOf = (scenario) => {
  paired[scenario] ??= {};
  return paired[scenario];
};
const pairUp = (scenario, target, reference, figure) => {
  const values = [];
  for (const run of runs) {
    if (run.scenario !== scenario || run.target !== target) continue;
    const ref = runOf(run.round, scenario, reference);
    if (ref && run[figure] && ref[figure]) values.push(run[figure] / ref[figure]);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return {
    median: median(values),
    min: values[0],
    max: values[values.length - 1],
    rounds: values.length,
    // How many rounds ours came out under the other: for p99, how often ours' tail was the shorter one.
    below: values.filter((v) => v < 1).length,
    // Where the median ratio lies at 95 %, whatever the rounds' spread: an interval that holds 1 says
    // that these rounds cannot tell the two apart.
    interval: medianInterval(values),
  };
};
for (const scenario of ['get', 'set']) {
  for (const target of Object.keys(medians[scenario] ?? {})) {
    if (!target.startsWith('ours')) continue;
    const vsWebdis = pairUp(scenario, target, 'webdis', 'rps');
    if (vsWebdis) {
      pairsOf(scenario)[`${target}/webdis`] = {
        rps: vsWebdis,
        p99: pairUp(scenario, target, 'webdis', 'p99_us'),
        wire_p99: pairUp(scenario, target, 'webdis', 'wire_p99_us'),
      };
    }
    if (target !== 'ours-ref' && medians[scenario]['ours-ref']) {
      pairsOf(scenario)[`${target}/ours-ref`] = {
        rps: pairUp(scenario, target, 'ours-ref', 'rps'),
        p99: pairUp(scenario, target, 'ours-ref', 'p99_us'),
      };
    }
  }
}
for (const target of Object.keys(medians.pipeline ?? {})) {
  if (!target.startsWith('ours')) continue;
  const reference = `redis-benchmark-P${meta.config.rb_pipeline}`;
  const vsRb = pairUp('pipeline', target, reference, 'cmds_per_s');
  if (vsRb) pairsOf('pipeline')[`${target}/${reference}`] = { cmds_per_s: vsRb };
  if (target !== 'ours-ref' && medians.pipeline['ours-ref']) {
    pairsOf('pipeline')[`${target}/ours-ref`] = {
      cmds_per_s: pairUp('pipeline', target, 'ours-ref', 'cmds_per_s'),
    };
  }
}

const summary = {
  date: meta.finished,
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    kernel: os.release(),
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
  },
  ...meta,
  medians,
  ratios,
  paired,
  warnings,
  runs,
};
writeFileSync(outFile, `${JSON.stringify(summary, null, 2)}\n`);

// ---- readable output ---------------------------------------------------------
const fmt = (v, digits = 0) => (v === null || v === undefined ? '—' : v.toFixed(digits));
const k = (v) => (v === null ? '—' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(1)}k`);
const rows = [
  [
    'scenario',
    'target',
    'req/s',
    'cmds/s',
    'p50 µs',
    'p99 µs',
    'srv µs/req',
    'srv%',
    'redis µs/cmd',
    'redis%',
    'load%',
    'other%',
    'steal%',
    'spread',
    'non-2xx',
    'sock err',
  ],
];
for (const [scenario, targets] of Object.entries(medians)) {
  for (const [target, s] of Object.entries(targets)) {
    rows.push([
      scenario,
      target,
      k(s.rps),
      k(s.cmds_per_s),
      fmt(s.p50_us),
      fmt(s.p99_us),
      fmt(s.server_cpu_us_per_req, 1),
      fmt(s.server_cpu_pct),
      fmt(s.redis_cpu_us_per_cmd, 2),
      fmt(s.redis_cpu_pct),
      fmt(s.load_cpu_pct),
      fmt(s.other_cpu_pct),
      fmt(s.steal_pct, 1),
      s.rounds > 1 ? `${fmt(s.rps_spread_pct)}%` : '—',
      String(s.non_2xx),
      String(s.socket_errors),
    ]);
  }
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(
  `\nMedians of ${meta.config.rounds} interleaved round(s), ${meta.config.duration} each ` +
    // Runs made before round 1 had warm-ups of its own warmed it up once, as every other round.
    `after ${meta.config.first_warmups ?? 1}×${meta.config.warmup} of warm-up in round 1, ${meta.config.warmup} in the others ` +
    `(wrk -t${meta.config.wrk_threads} -c${meta.config.connections}), ${summary.machine.cpus} CPUs, ${meta.finished}`,
);
// Runs made before the knob existed ran Node with its defaults.
const nodeFlags = (flags) => (flags ? `node ${flags}` : "Node's defaults");
if ('ours_node_flags' in meta.config) {
  console.log(
    `Our servers ran with ${nodeFlags(meta.config.ours_node_flags)}` +
      (meta.config.ref_cli ? `, ours-ref with ${nodeFlags(meta.config.ref_node_flags)}` : ''),
  );
}
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows.slice(1)) console.log(line(r));
console.log(
  'srv/redis/load/other% = % of one core used by the server under test / redis-server / the load generator\n' +
    '(wrk or redis-benchmark) / anything else on the two CPUs; spread = (max−min)/median req/s over rounds.',
);
if (Object.values(medians).some((targets) => targets['ours-cluster'])) {
  console.log(
    "For ours-cluster, redis is the cluster's masters together (redis µs/cmd: all of them / commands).",
  );
}

const wired = Object.entries(medians).flatMap(([scenario, targets]) =>
  Object.entries(targets)
    .filter(([, t]) => t.wire_p99_us !== null)
    .map(([target, t]) => ({ scenario, target, t })),
);
if (wired.length) {
  console.log(
    `\nAt the wire (WIRE=1: from wrk's write of a request to the server's answer, tcpdump on CPU ${meta.config.wire_cpu})`,
  );
  for (const { scenario, target, t } of wired) {
    console.log(
      `  ${scenario.padEnd(8)} ${target.padEnd(19)} p50 ${fmt(t.wire_p50_us)} µs   p99 ${fmt(t.wire_p99_us)} µs   ` +
        `(wrk: ${fmt(t.p50_us)} / ${fmt(t.p99_us)} µs)   tcpdump ${fmt(t.capture_cpu_pct)}% of a core`,
    );
  }
}
console.log('\nRatios (from the medians)');
for (const scenario of ['get', 'set']) {
  for (const [target, r] of Object.entries(ratios[scenario] ?? {})) {
    console.log(
      `  ${scenario}: ${target}/webdis req/s = ${fmt(r.ours_over_webdis_rps, 2)}   ` +
        `p99 ${target} ${fmt(r.ours_p99_us)} µs vs webdis ${fmt(r.webdis_p99_us)} µs (×${fmt(r.ours_over_webdis_p99, 2)})   ` +
        `CPU/req ${target}/webdis = ${fmt(r.ours_over_webdis_cpu_per_req, 2)}`,
    );
  }
}
for (const [target, r] of Object.entries(ratios.pipeline ?? {})) {
  const keyP = Object.keys(r).find(
    (x) => x.startsWith('ours_cmds_over_redis_benchmark_P') && !x.endsWith('_P1'),
  );
  console.log(
    `  pipeline: ${target} ${k(r.ours_cmds_per_s)} cmds/s = ${fmt(r[keyP], 2)} × redis-benchmark -P${meta.config.rb_pipeline}` +
      `, ${fmt(r.ours_cmds_over_redis_benchmark_P1, 2)} × redis-benchmark without -P`,
  );
}
for (const [scenario, r] of Object.entries(ratios.engines ?? {})) {
  console.log(
    `  ${scenario}: fast/node engine req/s = ${fmt(r.fast_over_node_rps, 2)}   p99 ×${fmt(r.fast_over_node_p99, 2)}   ` +
      `CPU/req ×${fmt(r.fast_over_node_cpu_per_req, 2)}`,
  );
}
if (Object.keys(paired).length) {
  console.log(
    "\nPaired ratios (the median over rounds of each round's ratio, its range, and where that median lies with at least 95 % confidence)",
  );
  const range = (r) => {
    if (!r) return '—';
    const i = r.interval;
    const ci = i
      ? `; median within ${fmt(i.low, 2)}–${fmt(i.high, 2)} at ${Math.floor(i.level * 100)} %`
      : '';
    return `${fmt(r.median, 2)} (${fmt(r.min, 2)}–${fmt(r.max, 2)}${ci})`;
  };
  for (const [scenario, pairs] of Object.entries(paired)) {
    for (const [pair, r] of Object.entries(pairs)) {
      console.log(
        scenario === 'pipeline'
          ? `  pipeline: ${pair} cmds/s ${range(r.cmds_per_s)}`
          : `  ${scenario}: ${pair} req/s ${range(r.rps)}   p99 ×${range(r.p99)}` +
              (r.p99 ? `, lower in ${r.p99.below} of ${r.p99.rounds} rounds` : '') +
              (r.wire_p99
                ? `\n  ${' '.repeat(scenario.length)}  at the wire: p99 ×${range(r.wire_p99)}, lower in ${r.wire_p99.below} of ${r.wire_p99.rounds} rounds`
                : ''),
      );
    }
  }
}
const clusterScenarios = ['cluster-get', 'cluster-set', 'cluster-pipeline'].filter((s) => ratios[s]);
if (clusterScenarios.length) {
  const c = meta.cluster;
  console.log(
    `\nCluster vs one Redis (ours on ${c?.masters ?? '?'} masters, no replicas, vs ours on one Redis; ` +
      `keys per master: key:* ${c?.keys_per_master?.join('/') ?? '?'}, k0…k${meta.config.pipeline_size - 1} ` +
      `${c?.pipeline_keys_per_master?.join('/') ?? '?'})`,
  );
  for (const scenario of clusterScenarios) {
    const r = ratios[scenario];
    const cmds =
      scenario === 'cluster-pipeline'
        ? ` (${k(r.cluster_cmds_per_s)} vs ${k(r.single_cmds_per_s)} cmds/s)`
        : '';
    console.log(
      `  ${scenario}: cluster/single req/s = ${fmt(r.cluster_over_single_rps, 2)} ` +
        `(${k(r.cluster_rps)} vs ${k(r.single_rps)})${cmds}   ` +
        `p99 cluster ${fmt(r.cluster_p99_us)} µs vs single ${fmt(r.single_p99_us)} µs (×${fmt(r.cluster_over_single_p99, 2)})   ` +
        `CPU/req cluster/single = ${fmt(r.cluster_over_single_cpu_per_req, 2)}`,
    );
  }
}
if (warnings.length) {
  console.log('\nWarnings');
  for (const w of warnings) console.log(`  - ${w}`);
}
console.log(`\nWritten: ${outFile} (raw wrk/redis-benchmark outputs in ${rawDir})`);
