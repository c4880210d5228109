/** Peaks of the V8 heap and off-heap memory while a scenario ran, in MiB. */
export interface MemoryPeaks {
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  /** Memory of C++ objects bound to JS objects, Buffers and ArrayBuffers included. */
  readonly externalMiB: number;
  readonly arrayBuffersMiB: number;
}

const MiB = 1024 * 1024;

/**
 * Samples `process.memoryUsage()` every `intervalMs` so a result can say whether its peak RSS
 * is JS heap or buffers. Sampling is cheap (a timer per 100 ms), and the timer never keeps the
 * process alive.
 */
export function sampleMemory(intervalMs = 100): { stop(): MemoryPeaks } {
  let heapUsed = 0;
  let heapTotal = 0;
  let external = 0;
  let arrayBuffers = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    heapUsed = Math.max(heapUsed, m.heapUsed);
    heapTotal = Math.max(heapTotal, m.heapTotal);
    external = Math.max(external, m.external);
    arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, intervalMs).unref();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return {
        heapUsedMiB: heapUsed / MiB,
        heapTotalMiB: heapTotal / MiB,
        externalMiB: external / MiB,
        arrayBuffersMiB: arrayBuffers / MiB,
      };
    },
  };
}
