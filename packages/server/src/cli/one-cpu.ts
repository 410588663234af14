import { availableParallelism } from 'node:os';

/**
 * The Node flags that keep the tail latency down when the server has one CPU.
 * V8's background threads (parallel scavenges, concurrent marking, TurboFan)
 * can only run by preempting the event loop there, and the default young
 * generation (semi-spaces up to 16 MB) makes each scavenge pause 1–2 ms; on one
 * core both land in every request in flight. With these, GC and compilation run
 * on the main thread in short steps and a scavenge takes ~0.25 ms (the server
 * README, "On one CPU"; `bench/README.md`, "Tail latency on one CPU").
 */
export const ONE_CPU_FLAGS = ['--single-threaded', '--max-semi-space-size=4'] as const;

/**
 * What to tell the operator at startup when the process may run on one CPU only
 * (its affinity, as `taskset` or `docker --cpuset-cpus` set it, or a one-vCPU
 * machine) and Node was started without {@link ONE_CPU_FLAGS}; undefined otherwise.
 * A `--max-semi-space-size` of the operator's own choosing counts as chosen.
 */
export function oneCpuHint(
  cpus: number = availableParallelism(),
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string | undefined {
  if (cpus !== 1) return undefined;
  // V8 takes --max_semi_space_size as well as --max-semi-space-size, and the value after = or apart.
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((arg) =>
    arg.split('=')[0]!.replaceAll('_', '-'),
  );
  const has = (flag: string) => given.includes(flag);
  const missing = ONE_CPU_FLAGS.filter((flag) => !has(flag.split('=')[0]!));
  if (missing.length === 0) return undefined;
  return `this process has one CPU: start Node with ${missing.join(' ')} for a lower tail latency, e.g. node ${ONE_CPU_FLAGS.join(' ')} $(command -v restash-server) (see the server README, "On one CPU")`;
}
