// Worker threads that run TypeScript: start them at this URL with `workerData.entryUrl`
// the worker's own module (worker-boot.mjs registers tsx's loader in the thread first).
export const tsWorkerBootUrl = new URL('./worker-boot.mjs', import.meta.url);
