import fs from "node:fs";

/** Clock ticks per second of `/proc/.../stat` times (USER_HZ: 100 on Linux everywhere we run). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) of this process's main thread alone, from
 * `/proc/self/task/<pid>/stat` (10 ms resolution); undefined where there is no such file. With
 * reader threads (`--workers`), the process's CPU minus this is what the other threads used.
 */
export function mainThreadCpuSeconds(): number | undefined {
  return taskCpuSeconds(process.pid);
}

/**
 * Per thread of this process but the main one (by thread id), its CPU seconds so far: a reader
 * thread shows as the busiest. Empty where `/proc` is not there.
 */
export function otherThreadsCpuSeconds(): Map<number, number> {
  const out = new Map<number, number>();
  let tasks: string[];
  try {
    tasks = fs.readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const t of tasks) {
    const tid = Number(t);
    if (tid === process.pid) continue;
    const s = taskCpuSeconds(tid);
    if (s !== undefined) out.set(tid, s);
  }
  return out;
}

function taskCpuSeconds(tid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3,
  // utime field 14 and stime field 15.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
}
