import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './processes.js';

// Schemathesis for `npm run fuzz`: a virtual environment of its own (git-ignored) with the
// versions pinned in load-tests/fuzz/requirements.txt, made on first use, and one run of
// `schemathesis run` against a service's /openapi.json in one credential mode.

export const fuzzDir = path.join(repoRoot, 'load-tests/fuzz');
export const venvDir = path.join(repoRoot, 'load-tests/.venv');
const requirementsPath = path.join(fuzzDir, 'requirements.txt');
// The requirements the venv was last installed from: a changed pin reinstalls.
const installedStampPath = path.join(venvDir, 'fareledger-requirements.txt');
const installTimeoutMs = 300_000;

/**
 * The checks that match the goal: no 5xx, and every answer as its operation documents it
 * (a documented status, its content type, a body matching its schema, its headers).
 */
export const fuzzChecks = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'response_headers_conformance'] as const;

/** Creates load-tests/.venv and installs the pinned requirements, unless it holds them already. */
export async function ensureVenv(log: (line: string) => void): Promise<void> {
  const requirements = readFileSync(requirementsPath, 'utf8');
  if (existsSync(installedStampPath) && readFileSync(installedStampPath, 'utf8') === requirements) return;
  if (!existsSync(path.join(venvDir, 'bin/python'))) {
    log(`creating the virtual environment ${path.relative(repoRoot, venvDir)}`);
    await runTool('python3', ['-m', 'venv', venvDir], 'python3 -m venv (needs Python 3.9+ with venv: on Debian, apt-get install python3-venv)');
  }
  log(`installing ${path.relative(repoRoot, requirementsPath)} into it (pip, from PyPI)`);
  await runTool(path.join(venvDir, 'bin/python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '-r', requirementsPath], 'pip install');
  writeFileSync(installedStampPath, requirements);
}

function runTool(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), installTimeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}):\n${stderr.slice(-4000)}`));
    });
  });
}

export interface SchemathesisRun {
  readonly schemaUrl: string;
  /** Generated cases per operation (schemathesis --max-examples). */
  readonly maxExamples: number;
  /** The JSON file the hooks read: mode, credentials, known data. */
  readonly contextPath: string;
  readonly reportPath: string;
  readonly logPath: string;
  readonly seed?: string;
  readonly timeoutMs: number;
}

/** What one run's JSON report says (schemathesis --report json). */
export interface SchemathesisReport {
  readonly exitCode: number;
  readonly operations: number;
  readonly cases: number;
  readonly seed: string;
  readonly runningTimeS: number;
  /** Unique failures, by check name. */
  readonly failuresByCheck: Readonly<Record<string, number>>;
  /** Errors (a case that could not be run or answered): each title with its count. */
  readonly errors: readonly { readonly title: string; readonly count: number }[];
}

/** The running child, so that a signal can stop it. */
let current: ChildProcess | undefined;

export function stopCurrentRun(): void {
  current?.kill('SIGKILL');
}

/** One `schemathesis run`; its output goes to `logPath`. Resolves with its report, or rejects when it wrote none. */
export function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisReport> {
  const args = [
    '--config-file', path.join(fuzzDir, 'schemathesis.toml'), 'run', run.schemaUrl, '--checks', fuzzChecks.join(','), '--phases', 'examples,fuzzing', '--max-examples', String(run.maxExamples),
    // One worker: the signed requests and the services share this machine's two cores with it.
    '--workers', '1', '--request-timeout', '20', '--generation-database', 'none', '--no-color',
    '--report', 'json', '--report-json-path', run.reportPath, ...(run.seed === undefined ? [] : ['--seed', run.seed]),
  ];
  const env = {
    ...process.env, SCHEMATHESIS_HOOKS: 'fareledger_hooks', PYTHONPATH: fuzzDir, FUZZ_CONTEXT: run.contextPath, PYTHONDONTWRITEBYTECODE: '1',
    // Hypothesis's caches (Unicode tables) beside the venv, built once, rather than in each report's directory.
    HYPOTHESIS_STORAGE_DIRECTORY: path.join(venvDir, 'hypothesis'),
  };
  return new Promise((resolve, reject) => {
    // In the report's directory: anything schemathesis writes beside its reports lands there, not in the repository.
    const child = spawn(path.join(venvDir, 'bin/schemathesis'), args, { cwd: path.dirname(run.reportPath), env, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      writeFileSync(run.logPath, output);
      if (signal !== null || !existsSync(run.reportPath)) {
        reject(new Error(`schemathesis ${signal === null ? `exited ${code} without a report` : `was stopped (${signal}; the run's limit is ${run.timeoutMs / 1000} s)`}; its output: ${run.logPath}\n${output.slice(-3000)}`));
        return;
      }
      resolve(readReport(run.reportPath));
    });
  });
}

interface RawReport {
  exit_code: number;
  seed: string | number;
  running_time: number;
  operations: { tested: number };
  test_cases: { generated: number };
  failures: { type: string; count: number }[];
  errors: { title: string; count: number }[];
}

// The JSON report names a failure by its class (schemathesis/failure_codes.py); the summary names the check that raised it.
const checkOfFailure: Readonly<Record<string, (typeof fuzzChecks)[number]>> = {
  ServerError: 'not_a_server_error', ContentTypeServerError: 'not_a_server_error',
  UndefinedStatusCode: 'status_code_conformance',
  MissingContentType: 'content_type_conformance', UndefinedContentType: 'content_type_conformance', MalformedMediaType: 'content_type_conformance',
  JsonSchemaError: 'response_schema_conformance', MalformedJson: 'response_schema_conformance', ContentDeserializationError: 'response_schema_conformance', DiscriminatorMismatch: 'response_schema_conformance',
  MissingHeaders: 'response_headers_conformance',
};

export function readReport(reportPath: string): SchemathesisReport {
  const text = readFileSync(reportPath, 'utf8');
  const raw = JSON.parse(text) as RawReport;
  // The seed is a 128-bit integer: read from the text, as a JSON number would lose its digits.
  const seed = /"seed":\s*"?([0-9]+)/.exec(text)?.[1] ?? String(raw.seed);
  const failuresByCheck: Record<string, number> = {};
  for (const failure of raw.failures) {
    const check = checkOfFailure[failure.type] ?? failure.type;
    failuresByCheck[check] = (failuresByCheck[check] ?? 0) + failure.count;
  }
  return {
    exitCode: raw.exit_code, operations: raw.operations.tested, cases: raw.test_cases.generated, seed, runningTimeS: raw.running_time,
    failuresByCheck, errors: raw.errors,
  };
}

/** Schemathesis's own account of the failures and errors of a run, reproductions included: its log from FAILURES or ERRORS to SUMMARY. */
export function failureSection(logPath: string): string {
  const log = readFileSync(logPath, 'utf8');
  const start = log.search(/^=+ (FAILURES|ERRORS) =+$/m);
  const end = log.search(/^=+ SUMMARY =+$/m);
  return start < 0 ? log.slice(-4000) : log.slice(start, end < 0 ? undefined : end).trimEnd();
}
