import { defineConfig } from 'vitest/config';

// Two projects: `unit` is the pure core (no broker, no files beyond temp dirs) and runs
// in seconds; `integration` talks to a real Kafka broker, which its global setup starts
// through infra/ when none is running on KAFKA_BROKERS.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/*/src/**/*.test.ts', 'shared/*.test.ts', 'services/*/src/**/*.test.ts', 'bench/**/*.test.ts', 'load-tests/*.test.ts'],
          exclude: ['**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['infra/test/**/*.test.ts', 'shared/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'load-tests/test/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['infra/kafka/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One broker on a 2-core machine: run integration files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
