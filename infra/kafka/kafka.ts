// A single-node Apache Kafka broker (KRaft, broker + controller in one JVM) fetched from
// Maven Central and run from this folder, for development and integration tests.
//
// Library: readKafkaConfig, fetchKafka, startKafka, stopKafka, kafkaStatus, brokerAnswers,
// ensureTopics, warmUpCoordinators, prepareBroker.
// CLI: `tsx infra/kafka/kafka.ts fetch|start|stop|status` (see usage below).
//
// Every wait is bounded; the broker is only ever signalled by the pid in its pid file, and
// only after /proc confirms that pid is a kafka.Kafka JVM started on this run dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export const kafkaHome = path.dirname(fileURLToPath(import.meta.url));
export const kafkaLibDir = path.join(kafkaHome, 'lib');
const pomPath = path.join(kafkaHome, 'pom.xml');
const log4jPath = path.join(kafkaHome, 'log4j.properties');
const fetchedMarkerPath = path.join(kafkaLibDir, '.fetched');

export const topicTaps = 'fare.taps';
export const topicBlocks = 'fare.blocks';

// Cold start on the 2-core dev machine is a few seconds (see README); 90 s allows for a
// loaded CI box without hanging a test run forever.
export const readyTimeoutMs = 90_000;
// A clean KRaft single-node shutdown takes a few seconds; past this we SIGKILL.
export const stopTimeoutMs = 30_000;
const pollIntervalMs = 250;
const probeTimeoutMs = 2_000;
const partitionsMax = 1_000;
const logTailLines = 40;

export interface KafkaConfig {
  readonly port: number;
  readonly controllerPort: number;
  readonly tapsPartitions: number;
  /** Absolute run dir: server.properties, data/, kafka.log, kafka.pid, cluster.id. */
  readonly runDir: string;
  /** `127.0.0.1:<port>`: the one broker this config describes. */
  readonly brokers: readonly string[];
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configEntries?: readonly { name: string; value: string }[];
}

// Taps and blocks are kept forever: a batcher replays fare.taps from its stored offset, a
// from-scratch replay must give the same entries, and read replicas rebuild from fare.blocks.
const keepForever = [{ name: 'retention.ms', value: '-1' }] as const;

/** A fare.blocks record batch holds one chunk (≤ 512 KiB of value, docs/fare-blocks.md) with 2× headroom. */
export const blocksTopicMessageBytesMax = 1024 * 1024;

/**
 * fare.blocks: `delete`, never `compact` (the key is the chain, so compaction would keep one
 * message per chain); kept forever in time and size, as a replica builds its copy from
 * block 0 and the topic is where it gets the blocks.
 */
export const blocksTopicConfig: readonly { readonly name: string; readonly value: string }[] = [
  { name: 'cleanup.policy', value: 'delete' },
  { name: 'retention.ms', value: '-1' },
  { name: 'retention.bytes', value: '-1' },
  { name: 'max.message.bytes', value: String(blocksTopicMessageBytesMax) },
];

export type Logger = (line: string) => void;
const quiet: Logger = () => {};

/** Malformed environment: the message names the variable. */
export class KafkaConfigError extends Error {
  override name = 'KafkaConfigError';
}

/** The broker could not be fetched, started, reached or stopped. */
export class KafkaError extends Error {
  override name = 'KafkaError';
}

// ---------------------------------------------------------------------------------------
// Config

type Env = Readonly<Record<string, string | undefined>>;

function envInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') {
    throw new KafkaConfigError(`${name} is set but empty; unset it to use the default ${fallback}`);
  }
  if (!/^\d+$/.test(raw.trim())) {
    throw new KafkaConfigError(`${name} must be an integer in ${min}..${max}, got '${raw}'`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new KafkaConfigError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/** Reads KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_TAPS_PARTITIONS, KAFKA_DIR once. */
export function readKafkaConfig(env: Env = process.env): Readonly<KafkaConfig> {
  const port = envInt(env, 'KAFKA_PORT', 9092, 1, 65_535);
  const controllerPort = envInt(env, 'KAFKA_CONTROLLER_PORT', 9093, 1, 65_535);
  if (port === controllerPort) {
    throw new KafkaConfigError(
      `KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT (both ${port})`,
    );
  }
  const tapsPartitions = envInt(env, 'KAFKA_TAPS_PARTITIONS', 4, 1, partitionsMax);
  const dirRaw = env['KAFKA_DIR'];
  if (dirRaw !== undefined && dirRaw.trim() === '') {
    throw new KafkaConfigError('KAFKA_DIR is set but empty; unset it to use infra/kafka/run');
  }
  const runDir = dirRaw === undefined ? path.join(kafkaHome, 'run') : path.resolve(dirRaw);
  return Object.freeze({
    port,
    controllerPort,
    tapsPartitions,
    runDir,
    brokers: Object.freeze([`127.0.0.1:${port}`]),
  });
}

/** The topics the system needs: taps keyed by account, sealed blocks in one ordered log. */
export function defaultTopics(config: KafkaConfig): TopicSpec[] {
  return fareTopics(config, { taps: topicTaps, blocks: topicBlocks });
}

/** The taps and blocks topics under other names (a test's, a second system's), made as the defaults are. */
export function fareTopics(config: KafkaConfig, names: { readonly taps: string; readonly blocks: string }): TopicSpec[] {
  return [
    { topic: names.taps, numPartitions: config.tapsPartitions, configEntries: keepForever },
    // One partition per chain, partition = chain, as fare.taps: each chain's blocks in order.
    { topic: names.blocks, numPartitions: config.tapsPartitions, configEntries: blocksTopicConfig },
  ];
}

function runPaths(config: KafkaConfig) {
  const dir = config.runDir;
  return {
    serverProperties: path.join(dir, 'server.properties'),
    dataDir: path.join(dir, 'data'),
    metaProperties: path.join(dir, 'data', 'meta.properties'),
    clusterId: path.join(dir, 'cluster.id'),
    pid: path.join(dir, 'kafka.pid'),
    log: path.join(dir, 'kafka.log'),
    logPrevious: path.join(dir, 'kafka.log.1'),
  };
}

// ---------------------------------------------------------------------------------------
// Fetch

function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(pomPath, 'utf8'));
  if (match?.[1] === undefined) throw new KafkaError(`no <kafka.version> in ${pomPath}`);
  return match[1];
}

function fetchedMarker(): string {
  return `org.apache.kafka:kafka_2.13:${kafkaVersion()}\n`;
}

export function isFetched(): boolean {
  try {
    return fs.readFileSync(fetchedMarkerPath, 'utf8') === fetchedMarker();
  } catch {
    return false;
  }
}

/**
 * Copies Kafka and its runtime classpath from Maven Central into lib/, unless the marker
 * written by the last successful fetch already names this Kafka version. Fetches into a
 * temp dir and renames, so an interrupted fetch never leaves a half-filled lib/.
 */
export async function fetchKafka(log: Logger = quiet): Promise<{ fetched: boolean }> {
  if (isFetched()) {
    log(`kafka: ${fetchedMarker().trim()} already in ${kafkaLibDir}`);
    return { fetched: false };
  }
  const tmpDir = `${kafkaLibDir}.tmp`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  log(`kafka: fetching ${fetchedMarker().trim()} with Maven into ${kafkaLibDir} ...`);
  const startedMs = Date.now();
  const args = [
    '-B', '-q', '-Dstyle.color=never', '-f', pomPath,
    'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmpDir}`,
  ];
  const { code, output } = await runCaptured('mvn', args);
  if (code !== 0) {
    throw new KafkaError(`mvn ${args.join(' ')} failed (exit ${code}):\n${output.trim()}`);
  }
  const jars = fs.readdirSync(tmpDir).filter((name) => name.endsWith('.jar'));
  if (!jars.some((name) => name.startsWith('kafka_2.13-'))) {
    throw new KafkaError(`mvn finished but ${tmpDir} holds no kafka_2.13 jar`);
  }
  fs.writeFileSync(path.join(tmpDir, '.fetched'), fetchedMarker());
  fs.rmSync(kafkaLibDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, kafkaLibDir);
  log(`kafka: fetched ${jars.length} jars in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
  return { fetched: true };
}

function runCaptured(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => {
      reject(new KafkaError(`cannot run ${command}: ${error.message} (is it on PATH?)`));
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

// ---------------------------------------------------------------------------------------
// Broker process

function serverProperties(config: KafkaConfig): string {
  const { dataDir } = runPaths(config);
  return [
    '# Written by infra/kafka/kafka.ts on every start; edits here are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${config.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${config.port},CONTROLLER://127.0.0.1:${config.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${config.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `log.dirs=${dataDir}`,
    // Topics are created explicitly (ensureTopics); a typo must fail, not create a topic.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // One node: waiting for more group members only slows tests down.
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

/** Kafka cluster ids are 16 random bytes, base64url without padding, not starting '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function javaCommand(): string {
  const javaHome = process.env['JAVA_HOME'];
  return javaHome ? path.join(javaHome, 'bin', 'java') : 'java';
}

async function formatStorageOnce(config: KafkaConfig, log: Logger): Promise<void> {
  const paths = runPaths(config);
  if (fs.existsSync(paths.metaProperties)) return;
  if (!fs.existsSync(paths.clusterId)) fs.writeFileSync(paths.clusterId, `${newClusterId()}\n`);
  const clusterId = fs.readFileSync(paths.clusterId, 'utf8').trim();
  log(`kafka: formatting storage in ${paths.dataDir} (cluster id ${clusterId})`);
  const args = [
    `-Dlog4j.configuration=file:${log4jPath}`,
    '-cp', path.join(kafkaLibDir, '*'),
    'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', paths.serverProperties,
  ];
  const { code, output } = await runCaptured(javaCommand(), args);
  if (code !== 0) throw new KafkaError(`StorageTool format failed (exit ${code}):\n${output}`);
}

function spawnBroker(config: KafkaConfig): ChildProcess {
  const paths = runPaths(config);
  // Keep one previous log, so a restart neither grows the file forever nor loses the
  // log of the run that just ended.
  if (fs.existsSync(paths.log)) fs.renameSync(paths.log, paths.logPrevious);
  const logFd = fs.openSync(paths.log, 'a');
  try {
    // JVM flags as in Kafka's kafka-server-start.sh / kafka-run-class.sh, with a small heap.
    const args = [
      '-Xmx512m', '-Xms512m',
      '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${log4jPath}`,
      `-Dkafka.logs.dir=${config.runDir}`,
      '-cp', path.join(kafkaLibDir, '*'),
      'kafka.Kafka', paths.serverProperties,
    ];
    const child = spawn(javaCommand(), args, {
      cwd: config.runDir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    child.unref();
    return child;
  } finally {
    fs.closeSync(logFd);
  }
}

// ---------------------------------------------------------------------------------------
// Pid file and process checks

function readPid(pidPath: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(pidPath, 'utf8').trim();
  } catch {
    return null;
  }
  return /^\d+$/.test(text) ? Number(text) : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie answers kill(0) but is gone for our purposes.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** True when pid is a kafka.Kafka JVM on this run dir's server.properties (pid reuse guard). */
function isOurBroker(config: KafkaConfig, pid: number): boolean {
  if (!isAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return !fs.existsSync('/proc/self'); // no /proc: cannot check, trust the pid file
  }
  const argv = cmdline.split('\0');
  return argv.includes('kafka.Kafka') && argv.includes(runPaths(config).serverProperties);
}

/** The pid of this run dir's live broker; removes a stale pid file. */
function livePid(config: KafkaConfig, log: Logger): number | null {
  const pidPath = runPaths(config).pid;
  const pid = readPid(pidPath);
  if (pid === null) {
    if (fs.existsSync(pidPath)) {
      log(`kafka: removing unreadable pid file ${pidPath}`);
      fs.rmSync(pidPath, { force: true });
    }
    return null;
  }
  if (isOurBroker(config, pid)) return pid;
  log(`kafka: removing stale pid file (pid ${pid} is not a running broker)`);
  fs.rmSync(pidPath, { force: true });
  return null;
}

function tail(filePath: string, lines: number = logTailLines): string {
  try {
    const text = fs.readFileSync(filePath, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${filePath})`;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Admin calls (kafkajs, silenced)

function adminClient(brokers: readonly string[], retries: number) {
  const kafka = new Kafka({
    clientId: 'fareledger-infra',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: probeTimeoutMs,
    requestTimeout: probeTimeoutMs * 5,
    retry: { retries },
  });
  return kafka.admin();
}

/** True when a broker on `brokers` answers describeCluster with at least one broker. */
export async function brokerAnswers(brokers: readonly string[]): Promise<boolean> {
  const admin = adminClient(brokers, 0);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface EnsureTopicsResult {
  readonly created: string[];
  /** Topics that existed with a partition count other than the one asked for. */
  readonly mismatched: { topic: string; partitions: number; wanted: number }[];
}

/**
 * Creates the topics that do not exist (replication factor 1). Never changes an existing
 * topic: adding partitions would move keys to other partitions (and other chains).
 */
export async function ensureTopics(
  brokers: readonly string[],
  topics: readonly TopicSpec[],
): Promise<EnsureTopicsResult> {
  const admin = adminClient(brokers, 5);
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.numPartitions,
          replicationFactor: 1,
          configEntries: [...(spec.configEntries ?? [])],
        })),
        waitForLeaders: true,
      });
    }
    const present = topics.filter((spec) => existing.has(spec.topic));
    const mismatched: EnsureTopicsResult['mismatched'] = [];
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.topic) });
      for (const spec of present) {
        const found = meta.topics.find((topic) => topic.name === spec.topic);
        const partitions = found?.partitions.length ?? 0;
        if (partitions !== spec.numPartitions) {
          mismatched.push({ topic: spec.topic, partitions, wanted: spec.numPartitions });
        }
      }
    }
    return { created: missing.map((spec) => spec.topic), mismatched };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Deletes the topics that exist (a benchmark's own, at its end); the others are ignored. */
export async function deleteTopics(brokers: readonly string[], topics: readonly string[]): Promise<void> {
  const admin = adminClient(brokers, 5);
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A fresh broker creates __consumer_offsets (50 partitions) on the first group lookup and
 * fetches its first producer-id block on the first InitProducerId. Until then clients get
 * retriable errors that kafkajs logs at ERROR level. Doing both here, once, makes "ready"
 * mean ready for what ingest (idempotent producer) and batcher (consumer group) do first.
 */
export async function warmUpCoordinators(brokers: readonly string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'fareledger-infra-warmup',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeGroups(['fareledger-infra-warmup']);
    await producer.connect(); // an idempotent producer runs InitProducerId in connect()
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** ensureTopics(defaultTopics) + warmUpCoordinators, logging what it did. */
export async function prepareBroker(
  brokers: readonly string[],
  config: KafkaConfig,
  log: Logger = quiet,
): Promise<void> {
  const startedMs = Date.now();
  const result = await ensureTopics(brokers, defaultTopics(config));
  for (const topic of result.created) log(`kafka: created topic ${topic}`);
  for (const { topic, partitions, wanted } of result.mismatched) {
    log(`kafka: WARNING topic ${topic} has ${partitions} partitions, config wants ${wanted}; ` +
      'left unchanged (delete the run dir for a fresh broker)');
  }
  await warmUpCoordinators(brokers);
  log(`kafka: topics and coordinators ready in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------
// Start, stop, status

export interface StartResult {
  /** False when a broker was already running (or answering) and nothing was started. */
  readonly started: boolean;
  /** Pid of the broker this run dir owns; null for a broker started elsewhere. */
  readonly pid: number | null;
  readonly brokers: readonly string[];
}

/** Starts the broker unless one already answers, waits until it serves, creates topics. */
export async function startKafka(
  config: KafkaConfig = readKafkaConfig(),
  log: Logger = quiet,
): Promise<StartResult> {
  const running = await runningBroker(config, log);
  if (running !== undefined) {
    await prepareBroker(config.brokers, config, log);
    return { started: false, pid: running, brokers: config.brokers };
  }
  await fetchKafka(log);
  const paths = runPaths(config);
  fs.mkdirSync(config.runDir, { recursive: true });
  fs.writeFileSync(paths.serverProperties, serverProperties(config));
  await formatStorageOnce(config, log);

  const startedMs = Date.now();
  const child = spawnBroker(config);
  const pid = child.pid;
  if (pid === undefined) {
    throw new KafkaError(`cannot start ${javaCommand()}; see ${paths.log}\n${tail(paths.log)}`);
  }
  fs.writeFileSync(paths.pid, `${pid}\n`);
  log(`kafka: started broker pid ${pid} on ${config.brokers.join(',')}, waiting until it serves ...`);
  await waitReady(config, pid, child);
  log(`kafka: broker ready in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
  await prepareBroker(config.brokers, config, log);
  return { started: true, pid, brokers: config.brokers };
}

/**
 * undefined: nothing running, start one. A number: this run dir's broker, serving. null: a
 * broker started elsewhere answers on the port; use it rather than fail to bind.
 */
async function runningBroker(config: KafkaConfig, log: Logger): Promise<number | null | undefined> {
  const pid = livePid(config, log);
  if (pid !== null) {
    await waitReady(config, pid, undefined);
    log(`kafka: already running (pid ${pid}) on ${config.brokers.join(',')}; nothing to start`);
    return pid;
  }
  if (await brokerAnswers(config.brokers)) {
    log(`kafka: a broker not started from ${config.runDir} already answers on ` +
      `${config.brokers.join(',')}; using it, nothing to start`);
    return null;
  }
  return undefined;
}

async function waitReady(config: KafkaConfig, pid: number, child: ChildProcess | undefined) {
  const paths = runPaths(config);
  let exitCode: number | string | null | undefined;
  child?.once('exit', (code, signal) => (exitCode = code ?? signal));
  const deadlineMs = Date.now() + readyTimeoutMs;
  while (Date.now() < deadlineMs) {
    if (exitCode !== undefined || !isAlive(pid)) {
      fs.rmSync(paths.pid, { force: true });
      throw new KafkaError(`broker pid ${pid} exited (${exitCode ?? 'unknown status'}) ` +
        `before serving; last lines of ${paths.log}:\n${tail(paths.log)}`);
    }
    if (await brokerAnswers(config.brokers)) return;
    await sleep(pollIntervalMs);
  }
  // Do not leave a half-started broker behind holding the ports.
  await stopKafka(config);
  throw new KafkaError(`broker pid ${pid} did not serve on ${config.brokers.join(',')} within ` +
    `${readyTimeoutMs / 1000} s (stopped it); last lines of ${paths.log}:\n${tail(paths.log)}`);
}

export interface StopResult {
  readonly stopped: boolean;
  readonly pid: number | null;
  /** True when SIGTERM did not end it within stopTimeoutMs and SIGKILL was sent. */
  readonly killed: boolean;
}

/** SIGTERM the pid-file broker, wait bounded, SIGKILL after the bound, remove the pid file. */
export async function stopKafka(
  config: KafkaConfig = readKafkaConfig(),
  log: Logger = quiet,
): Promise<StopResult> {
  const pidPath = runPaths(config).pid;
  const pid = livePid(config, log);
  if (pid === null) {
    log(`kafka: not running (no live pid in ${pidPath}); nothing to stop`);
    return { stopped: false, pid: null, killed: false };
  }
  log(`kafka: stopping broker pid ${pid} (SIGTERM) ...`);
  const startedMs = Date.now();
  process.kill(pid, 'SIGTERM');
  let killed = false;
  if (!(await waitExit(pid, stopTimeoutMs))) {
    log(`kafka: pid ${pid} still alive after ${stopTimeoutMs / 1000} s; sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
    killed = true;
    if (!(await waitExit(pid, 10_000))) {
      throw new KafkaError(`pid ${pid} survived SIGKILL; pid file ${pidPath} kept`);
    }
  }
  fs.rmSync(pidPath, { force: true });
  log(`kafka: stopped pid ${pid} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
  return { stopped: true, pid, killed };
}

async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadlineMs = Date.now() + timeoutMs;
  while (Date.now() < deadlineMs) {
    if (!isAlive(pid)) return true;
    await sleep(pollIntervalMs);
  }
  return !isAlive(pid);
}

export interface StatusResult {
  readonly running: boolean;
  readonly pid: number | null;
  readonly port: number;
  /** Whether a broker (ours or not) answers on config.brokers. */
  readonly answering: boolean;
}

export async function kafkaStatus(
  config: KafkaConfig = readKafkaConfig(),
  log: Logger = quiet,
): Promise<StatusResult> {
  const pid = livePid(config, log);
  const answering = await brokerAnswers(config.brokers);
  return { running: pid !== null, pid, port: config.port, answering };
}

// ---------------------------------------------------------------------------------------
// CLI

const usage = `Usage: tsx infra/kafka/kafka.ts <command>

Commands:
  fetch    download Kafka and its classpath from Maven Central into infra/kafka/lib (once)
  start    fetch if needed, start a single-node KRaft broker in the background, wait until
           it serves, create topics ${topicTaps} and ${topicBlocks}; a no-op if running
  stop     stop the broker named by the pid file (SIGTERM, SIGKILL after ${stopTimeoutMs / 1000} s)
  status   print running / not running, pid and port

Environment:
  KAFKA_PORT             broker port on 127.0.0.1 (default 9092)
  KAFKA_CONTROLLER_PORT  KRaft controller port on 127.0.0.1 (default 9093)
  KAFKA_TAPS_PARTITIONS  partitions of ${topicTaps} when created (default 4)
  KAFKA_DIR              run dir: data, log, pid (default infra/kafka/run)
  JAVA_HOME              Java 17+ to run the broker (default: java on PATH)

Exit status: 0 ok, 1 operating error, 2 usage or configuration error.`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const [command, ...rest] = argv;
  const commands = ['fetch', 'start', 'stop', 'status'];
  if (command === undefined || !commands.includes(command) || rest.length > 0) {
    const got = argv.length === 0 ? 'no command' : `'${argv.join(' ')}'`;
    console.error(`kafka: expected one of ${commands.join('|')}, got ${got}\n\n${usage}`);
    return 2;
  }
  const config = readKafkaConfig();
  const log: Logger = (line) => console.log(line);
  if (command === 'fetch') await fetchKafka(log);
  if (command === 'start') await startKafka(config, log);
  if (command === 'stop') await stopKafka(config, log);
  if (command === 'status') {
    const status = await kafkaStatus(config, log);
    const state = status.running ? `running, pid ${status.pid}` : 'not running';
    const answer = status.answering ? 'answering' : 'not answering';
    console.log(`kafka: ${state}; port ${status.port} (${answer}); run dir ${config.runDir}`);
  }
  return 0;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && path.resolve(invokedPath) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      if (error instanceof KafkaConfigError) {
        console.error(`kafka: ${error.message}`);
        process.exitCode = 2;
      } else if (error instanceof KafkaError) {
        console.error(`kafka: ${error.message}`);
        process.exitCode = 1;
      } else {
        throw error;
      }
    },
  );
}
