import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { type KafkaConfig, kafkaStatus, readKafkaConfig, startKafka, stopKafka } from '@fareledger/infra/kafka';
import { cityFiles } from '../services/city/src/config.js';
import { type DemoCredentials, ensureCredentials } from '../services/city/src/credentials.js';
import { type Child, startChild } from './processes.js';

// The system the chaos test kills pieces of: a Kafka broker of its own (its own ports and
// run directory, so a broker of the developer's or of CI is never restarted), ingest, the
// batchers of one consumer group and invoice-audit, each its own process on a port fixed
// for the run, so that a restarted service is where the devices and the watcher expect it.
// Processes are started as `npm run start:kafka` starts them (services/city/src/kafka-topology.ts).

export type Victim = 'ingest' | `batcher-${number}` | 'invoice-audit' | 'broker';

interface ServiceSpec {
  readonly entry: string;
  readonly readyMsg: string;
  readonly env: Record<string, string>;
}

export interface ChaosSystemOptions {
  readonly dir: string;
  readonly batchers: number;
  readonly kafkaPort: number;
}

export class ChaosSystem {
  readonly kafka: KafkaConfig;
  readonly files: ReturnType<typeof cityFiles>;
  readonly adminToken = randomBytes(32).toString('base64url');
  readonly ingestUrl: string;
  readonly invoicesUrl: string;
  /** Service processes that exited without being killed here: each one a finding. */
  readonly unexpectedExits: string[] = [];
  readonly #specs = new Map<Victim, ServiceSpec>();
  readonly #running = new Map<Victim, Child>();
  /** Starts under way: stop() waits for them, so that no service started meanwhile outlives the run. */
  readonly #starting = new Set<Promise<void>>();
  #stopping = false;

  private constructor(options: ChaosSystemOptions, ports: readonly number[]) {
    this.kafka = readKafkaConfig({ KAFKA_PORT: String(options.kafkaPort), KAFKA_CONTROLLER_PORT: String(options.kafkaPort + 1), KAFKA_DIR: path.join(options.dir, 'kafka') });
    this.files = cityFiles(path.join(options.dir, 'data'));
    const [ingestPort, invoicePort, ...batcherPorts] = ports as [number, number, ...number[]];
    this.ingestUrl = `http://127.0.0.1:${ingestPort}`;
    this.invoicesUrl = `http://127.0.0.1:${invoicePort}`;
    const shared = { TAP_LOG: 'kafka', KAFKA_BROKERS: this.kafka.brokers.join(','), LEDGER_PATH: this.files.ledger, LOG_LEVEL: 'info' };
    this.#specs.set('ingest', {
      entry: 'services/ingest/src/main.ts', readyMsg: 'ingest listening',
      env: { ...shared, INGEST_PORT: String(ingestPort), INGEST_ADMIN_TOKEN: this.adminToken, INGEST_DEVICES_PATH: this.files.devices },
    });
    batcherPorts.forEach((port, i) => this.#specs.set(`batcher-${i}`, {
      entry: 'services/batcher/src/main.ts', readyMsg: 'batcher running',
      // The broker's shortest session: a killed batcher's partitions move to the other within 6 s.
      env: { ...shared, BATCHER_PORT: String(port), LEDGER_SIGNING_KEY_PATH: this.files.signingKey, BATCHER_DEV_CREATE_KEY: 'true', BATCHER_KAFKA_SESSION_TIMEOUT_MS: '6000' },
    }));
    this.#specs.set('invoice-audit', {
      entry: 'services/invoice-audit/src/main.ts', readyMsg: 'invoice-audit listening',
      env: {
        ...shared, INVOICE_PORT: String(invoicePort), INVOICE_ADMIN_TOKEN: this.adminToken, INVOICE_INDEX_PATH: this.files.invoiceIndex, INVOICE_ACCESS_PATH: this.files.access,
        INVOICE_ADJUSTMENTS_PATH: this.files.adjustments, INVOICE_AUDIT_KEY_PATH: this.files.auditKey, INVOICE_DEV_CREATE_KEY: 'true',
      },
    });
  }

  static async start(options: ChaosSystemOptions): Promise<ChaosSystem> {
    mkdirSync(path.join(options.dir, 'data'), { recursive: true, mode: 0o700 });
    const system = new ChaosSystem(options, await freePorts(2 + options.batchers));
    await startKafka(system.kafka);
    // The first batcher creates the dev signing key; the others start once it exists.
    await system.#startService('batcher-0');
    await Promise.all(system.services().filter((name) => name !== 'batcher-0').map((name) => system.#startService(name)));
    return system;
  }

  /** The service processes, in the order taps flow. */
  services(): Victim[] {
    return [...this.#specs.keys()].sort((a, b) => order(a) - order(b));
  }

  victims(): Victim[] {
    return [...this.services(), 'broker'];
  }

  /** Devices, wallet tokens and an auditor, made through the admin APIs as `npm run start:kafka` makes them. */
  async credentials(): Promise<DemoCredentials> {
    const call = (method: 'POST', route: string, body: unknown) => fetch(`${route.startsWith('/v1/admin/devices') ? this.ingestUrl : this.invoicesUrl}${route}`, {
      method, headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return (await ensureCredentials(this.files.credentials, this.adminToken, call)).credentials;
  }

  /**
   * SIGKILLs the victim and starts it again once it is gone. The broker is restarted
   * instead: half the time a clean stop (SIGTERM), half the time SIGKILL, as a crashed
   * JVM would leave it.
   */
  async killAndRestart(victim: Victim, brokerKill: boolean): Promise<{ downMs: number }> {
    const startedMs = Date.now();
    if (victim === 'broker') await this.#restartBroker(brokerKill);
    else {
      const child = this.#running.get(victim)!;
      this.#running.delete(victim);
      await new Promise<void>((resolve) => {
        child.process.once('exit', () => resolve());
        child.process.kill('SIGKILL');
      });
      await this.#startService(victim);
    }
    return { downMs: Date.now() - startedMs };
  }

  async #restartBroker(kill: boolean): Promise<void> {
    if (kill) {
      const { pid } = await kafkaStatus(this.kafka);
      if (pid !== null) {
        process.kill(pid, 'SIGKILL');
        while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } else {
      await stopKafka(this.kafka);
    }
    await startKafka(this.kafka);
  }

  async #startService(name: Victim): Promise<void> {
    const starting = this.#launch(name);
    this.#starting.add(starting);
    try {
      await starting;
    } finally {
      this.#starting.delete(starting);
    }
  }

  async #launch(name: Victim): Promise<void> {
    const spec = this.#specs.get(name)!;
    const child = await startChild(spec.entry, spec.env, spec.readyMsg, { timeoutMs: 120_000 });
    this.#running.set(name, child);
    child.process.once('exit', (code, signal) => {
      if (this.#stopping || this.#running.get(name) !== child) return;
      this.#running.delete(name);
      this.unexpectedExits.push(`${name} exited by itself (${code ?? signal})`);
      // A supervisor would start it again; so does the test, so that the run goes on and the exit is reported.
      void this.#startService(name).catch((error: Error) => this.unexpectedExits.push(`${name} did not start again: ${error.message.split('\n')[0]}`));
    });
  }

  /**
   * A second invoice-audit on the same ledger with a read copy of its own, built from
   * scratch: what the killed-and-restarted one must equal once both caught up.
   */
  startFreshReadCopy(indexPath: string): Promise<Child> {
    const spec = this.#specs.get('invoice-audit')!;
    return startChild(spec.entry, { ...spec.env, INVOICE_PORT: '0', INVOICE_INDEX_PATH: indexPath }, spec.readyMsg, { timeoutMs: 120_000 });
  }

  /** Stops the services in the order taps flow (each drains what it holds), then the broker. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#starting]);
    for (const stage of [['ingest'], this.services().filter((name) => name.startsWith('batcher-')), ['invoice-audit']]) {
      await Promise.all(stage.map((name) => this.#running.get(name as Victim)?.stop()));
    }
    await stopKafka(this.kafka);
  }
}

function order(name: Victim): number {
  return name === 'ingest' ? 0 : name === 'invoice-audit' ? 2 : 1;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ports free now on 127.0.0.1, each taken by a listener that is closed again. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
