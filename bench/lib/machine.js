// One line about the machine and runtime, printed above the table.
import { cpus, loadavg, totalmem } from 'node:os';

/** Describes CPU, core count, memory, load and Node version. */
export function describeMachine() {
  const processors = cpus();
  const model = processors[0]?.model ?? 'unknown CPU';
  const memory = `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  const load = loadavg().map((value) => value.toFixed(2)).join(' ');
  return `machine: ${model}, ${processors.length} cores, ${memory} RAM, load average ${load}; Node ${process.version}`;
}
