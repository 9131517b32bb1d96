// Vitest global setup of the `integration` project: a real broker for every test file.
//
// If a broker already answers on KAFKA_BROKERS (default 127.0.0.1:<KAFKA_PORT>), use it and
// leave it running. Otherwise start one from infra/kafka (same as `npm run kafka:start`)
// and stop it in teardown. Topics fare.taps and fare.blocks exist either way.
//
// Tests get the brokers from `inject('kafkaBrokers')` (comma-separated) or from
// process.env.KAFKA_BROKERS.
import type { TestProject } from 'vitest/node';
import {
  KafkaConfigError,
  brokerAnswers,
  prepareBroker,
  readKafkaConfig,
  startKafka,
  stopKafka,
  type Logger,
} from './kafka.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated host:port list of the broker the integration tests use. */
    kafkaBrokers: string;
  }
}

const log: Logger = (line) => console.log(`[global-setup] ${line}`);

function parseBrokers(raw: string): string[] {
  const brokers = raw.split(',').map((broker) => broker.trim());
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(broker)) {
      throw new KafkaConfigError(`KAFKA_BROKERS must be a comma-separated host:port list, got '${raw}'`);
    }
  }
  return brokers;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = readKafkaConfig();
  const brokersRaw = process.env['KAFKA_BROKERS'];
  const brokers = brokersRaw === undefined ? [...config.brokers] : parseBrokers(brokersRaw);
  const local = brokers.length === 1 && brokers[0] === config.brokers[0];

  let startedHere = false;
  if (await brokerAnswers(brokers)) {
    log(`using the broker already answering on ${brokers.join(',')}; leaving it running`);
    await prepareBroker(brokers, config, log);
  } else if (local) {
    startedHere = (await startKafka(config, log)).started;
  } else {
    throw new KafkaConfigError(`KAFKA_BROKERS=${brokersRaw} does not answer; start it, or unset ` +
      `KAFKA_BROKERS to let this setup start a local broker on ${config.brokers.join(',')}`);
  }

  const brokersJoined = brokers.join(',');
  process.env['KAFKA_BROKERS'] = brokersJoined;
  project.provide('kafkaBrokers', brokersJoined);

  return async () => {
    if (startedHere) await stopKafka(config, log);
  };
}
