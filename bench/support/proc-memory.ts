/** Memory of a process as Linux accounts it (/proc/<pid>/status): peak and current resident set. */
import { readFileSync } from "node:fs";

export interface ProcessMemory {
  /** VmHWM: the peak resident set since the process started, MiB */
  peakRssMiB: number;
  /** VmRSS: the resident set now, MiB */
  rssMiB: number;
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`/proc status has no ${name}`);
  return Number(match[1]) / 1024;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { peakRssMiB: field(status, "VmHWM"), rssMiB: field(status, "VmRSS") };
}
