import path from 'node:path';
import { z } from 'zod';
import { assert } from '@fareledger/domain';

/**
 * One setting of a service, read from one environment variable. `schema` parses the env
 * string (see the `env*` builders); `default` is an env string too, so `--help` prints it
 * exactly as an operator would write it.
 */
export interface Setting<T> {
  readonly env: string;
  readonly description: string;
  readonly schema: z.ZodType<T>;
  readonly default?: string;
  /** The value is never printed: not in errors, not in logs. */
  readonly secret?: boolean;
}

/** Keys are camelCase with units last (`lingerMs`); values are settings. */
export type ConfigSpec = Readonly<Record<string, Setting<unknown>>>;

export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: z.output<S[K]['schema']> };

/** One bad variable. `value` is undefined when it was not set, or when it is secret (then `secret` is true). */
export interface ConfigIssue {
  readonly env: string;
  readonly value: string | undefined;
  readonly secret: boolean;
  readonly reason: string;
}

/** Operating error: the environment does not make a valid configuration. Exit 2 with `message`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(configErrorMessage(issues));
    this.issues = issues;
  }
}

const shownValueLengthMax = 80;

function configErrorMessage(issues: readonly ConfigIssue[]): string {
  const lines = issues.map(({ env, value, secret, reason }) => {
    if (secret) return `  ${env}=<secret, not shown>: ${reason}`;
    if (value === undefined) return `  ${env}: ${reason}`;
    const shown = value.length > shownValueLengthMax ? `${value.slice(0, shownValueLengthMax)}…` : value;
    return `  ${env}=${JSON.stringify(shown)}: ${reason}`;
  });
  const count = issues.length === 1 ? '1 variable' : `${issues.length} variables`;
  return `Invalid configuration (${count}):\n${lines.join('\n')}`;
}

const keyPattern = /^[a-z][a-zA-Z0-9]*$/;
const envNamePattern = /^[A-Z][A-Z0-9_]*$/;

/** The spec itself is code: a broken one is a bug, caught before any env value is read. */
function checkSpec(spec: ConfigSpec): void {
  const envNames = new Set<string>();
  for (const [key, setting] of Object.entries(spec)) {
    assert(keyPattern.test(key), `config key ${key} must be camelCase`);
    assert(envNamePattern.test(setting.env), `config ${key}: env name ${setting.env} must be UPPER_SNAKE_CASE`);
    assert(!envNames.has(setting.env), `config ${key}: env name ${setting.env} is used twice`);
    assert(setting.description.length > 0, `config ${key}: description is required`);
    envNames.add(setting.env);
    if (setting.default !== undefined) {
      assert(setting.schema.safeParse(setting.default).success, `config ${key}: default ${JSON.stringify(setting.default)} does not parse`);
    }
  }
}

export interface LoadConfigOptions {
  /**
   * Variables starting with one of these prefixes must be in the spec: `INGEST_PROT=8080` is
   * a typo that would otherwise be silently ignored.
   */
  readonly prefixes?: readonly string[];
}

/**
 * Reads the spec from `env` into a frozen, typed object, or throws a `ConfigError` that
 * lists every bad variable (not just the first) by its env name. An empty string is a value,
 * not "unset": `INGEST_PORT=` is rejected, not defaulted.
 */
export function loadConfig<const S extends ConfigSpec>(
  spec: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: LoadConfigOptions = {},
): ConfigOf<S> {
  checkSpec(spec);
  const values: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [key, setting] of Object.entries(spec)) {
    const raw = env[setting.env];
    const result = setting.schema.safeParse(raw ?? setting.default);
    if (result.success) {
      values[key] = deepFreeze(result.data);
      continue;
    }
    const reason = raw === undefined ? 'required, not set' : result.error.issues.map((issue) => issue.message).join('; ');
    const secret = setting.secret === true;
    issues.push({ env: setting.env, value: secret ? undefined : raw, secret: secret && raw !== undefined, reason });
  }
  issues.push(...unknownVariables(spec, env, options.prefixes ?? []));
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(values) as ConfigOf<S>;
}

function unknownVariables(spec: ConfigSpec, env: Readonly<Record<string, string | undefined>>, prefixes: readonly string[]): ConfigIssue[] {
  if (prefixes.length === 0) return [];
  const known = new Set(Object.values(spec).map((setting) => setting.env));
  return Object.keys(env)
    .filter((name) => !known.has(name) && prefixes.some((prefix) => name.startsWith(prefix)))
    .sort()
    .map((name) => ({ env: name, value: undefined, secret: false, reason: 'unknown variable (misspelt?); see --help' }));
}

function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) for (const item of value) deepFreeze(item);
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) Object.freeze(value);
  return value;
}

export interface ConfigHelpOptions {
  /** The command as typed, e.g. `npm run ingest` or `tsx services/ingest/src/main.ts`. */
  readonly command: string;
  readonly summary: string;
  readonly spec: ConfigSpec;
}

/** The `--help` text: usage, summary, and every variable with its default and description. */
export function configHelp({ command, summary, spec }: ConfigHelpOptions): string {
  checkSpec(spec);
  const rows = Object.values(spec).map((setting) => [setting.env, defaultText(setting), setting.description] as const);
  const header = ['VARIABLE', 'DEFAULT', 'DESCRIPTION'] as const;
  const nameWidth = Math.max(header[0].length, ...rows.map((row) => row[0].length));
  const defaultWidth = Math.max(header[1].length, ...rows.map((row) => row[1].length));
  const table = [header, ...rows].map(
    ([name, fallback, description]) => `  ${name.padEnd(nameWidth)}  ${fallback.padEnd(defaultWidth)}  ${description}`.trimEnd(),
  );
  return [
    `Usage: ${command} [--help]`,
    '',
    summary,
    '',
    'All configuration comes from environment variables:',
    '',
    ...table,
    '',
  ].join('\n');
}

function defaultText(setting: Setting<unknown>): string {
  if (setting.default !== undefined) return setting.secret === true ? '(secret)' : setting.default === '' ? '""' : setting.default;
  return setting.schema.safeParse(undefined).success ? '(optional)' : 'required';
}

/** Where a writer of text goes; `process.stdout` and `process.stderr` are the defaults. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * A service takes no arguments but `--help`/`-h`. Returns what `main` should do: `'run'`,
 * `'exit-0'` after printing the help to stdout, or `'exit-2'` after printing why and the help
 * to stderr (exit status 2 is the convention for a usage error).
 */
export function parseCliArgs(
  argv: readonly string[],
  helpText: string,
  io: { readonly stdout: TextSink; readonly stderr: TextSink } = { stdout: process.stdout, stderr: process.stderr },
): 'run' | 'exit-0' | 'exit-2' {
  if (argv.length === 0) return 'run';
  if (argv.some((arg) => arg === '--help' || arg === '-h')) {
    io.stdout.write(helpText);
    return 'exit-0';
  }
  const unexpected = argv.map((arg) => JSON.stringify(arg)).join(' ');
  io.stderr.write(`Unexpected argument ${unexpected}: this service takes its configuration from environment variables only.\n\n${helpText}`);
  return 'exit-2';
}

// ---- Schema builders: each parses an env string, with a reason an operator can act on. ----

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function envSchema<T>(parse: (text: string) => Parsed<T>): z.ZodType<T, string> {
  return z.string({ error: 'must be a string' }).transform((text, ctx) => {
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    ctx.issues.push({ code: 'custom', message: parsed.reason, input: text });
    return z.NEVER;
  });
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const rejected = (reason: string): Parsed<never> => ({ ok: false, reason });

const decimalIntegerPattern = /^-?[0-9]+(?:_[0-9]+)*$/;

/** A decimal integer in [min, max]; `_` may separate digits (`100_000`). No `1e3`, `0x10`, spaces. */
export function envInt(options: { readonly min: number; readonly max: number }): z.ZodType<number, string> {
  const { min, max } = options;
  assert(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max, `envInt: bad bounds [${min}, ${max}]`);
  return envSchema((text) => {
    if (!decimalIntegerPattern.test(text)) return rejected('must be a decimal integer (digits, `_` allowed between digits)');
    const value = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(value) || value < min || value > max) return rejected(`must be between ${min} and ${max}`);
    return ok(value === 0 ? 0 : value); // no -0
  });
}

/** A string of `lengthMin`..`lengthMax` characters (default 1..4096), matching `pattern` if given. */
export function envString(
  options: { readonly pattern?: RegExp; readonly lengthMin?: number; readonly lengthMax?: number } = {},
): z.ZodType<string, string> {
  const { pattern, lengthMin = 1, lengthMax = 4096 } = options;
  const anchored = pattern === undefined || (pattern.source.startsWith('^') && pattern.source.endsWith('$'));
  assert(anchored, 'envString: pattern must be anchored with ^ and $');
  assert(pattern === undefined || !(pattern.global || pattern.sticky), 'envString: pattern must not be global or sticky');
  assert(Number.isSafeInteger(lengthMin) && lengthMin >= 0 && lengthMin <= lengthMax, 'envString: bad length bounds');
  return envSchema((text) => {
    if (text.length < lengthMin || text.length > lengthMax) {
      return rejected(lengthMin === 0 ? `must be at most ${lengthMax} characters` : `must be ${lengthMin} to ${lengthMax} characters`);
    }
    if (pattern !== undefined && !pattern.test(text)) return rejected(`must match ${pattern.source}`);
    return ok(text);
  });
}

/** One of `values`, exactly (case matters). */
export function envEnum<const V extends readonly [string, ...string[]]>(values: V): z.ZodType<V[number], string> {
  return envSchema((text) =>
    (values as readonly string[]).includes(text) ? ok(text as V[number]) : rejected(`must be one of: ${values.join(', ')}`),
  );
}

/** `true`, `false`, `1` or `0`; nothing else (`yes`, `TRUE`, empty are rejected). */
export function envBool(): z.ZodType<boolean, string> {
  return envSchema((text) => {
    if (text === 'true' || text === '1') return ok(true);
    if (text === 'false' || text === '0') return ok(false);
    return rejected('must be true, false, 1 or 0');
  });
}

// host: a DNS name or IPv4 address, or an IPv6 address in brackets; port 1..65535.
const dnsLabel = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const hostPortPattern = new RegExp(`^(?:\\[[0-9A-Fa-f:.]+\\]|${dnsLabel}(?:\\.${dnsLabel})*):([0-9]{1,5})$`);

function envList<T>(listMax: number, what: string, parseItem: (item: string) => Parsed<T>): z.ZodType<readonly T[], string> {
  assert(Number.isSafeInteger(listMax) && listMax >= 1, 'env list: listMax must be a positive integer');
  return envSchema((text) => {
    const items = text.split(',').map((item) => item.trim());
    if (items.length > listMax) return rejected(`must have at most ${listMax} entries`);
    const values: T[] = [];
    for (const [index, item] of items.entries()) {
      if (item === '') return rejected(`entry ${index + 1} is empty; expected a comma-separated list of ${what}`);
      const parsed = parseItem(item);
      if (!parsed.ok) return rejected(`entry ${index + 1} (${JSON.stringify(item)}) ${parsed.reason}`);
      if (values.includes(parsed.value)) return rejected(`entry ${index + 1} (${JSON.stringify(item)}) is listed twice`);
      values.push(parsed.value);
    }
    return ok(values);
  });
}

/** Comma-separated `host:port` entries (spaces around commas allowed), e.g. KAFKA_BROKERS. */
export function envHostPortList(options: { readonly listMax?: number } = {}): z.ZodType<readonly string[], string> {
  return envList(options.listMax ?? 64, 'host:port', (item) => {
    const match = hostPortPattern.exec(item);
    const port = Number(match?.[1]);
    if (match === null) return rejected('must be host:port');
    if (port < 1 || port > 65_535) return rejected('has a port outside 1..65535');
    return ok(item);
  });
}

/** Comma-separated absolute URLs, normalised (`http://a:80/` → `http://a/`). */
export function envUrlList(
  options: { readonly protocols?: readonly string[]; readonly listMax?: number } = {},
): z.ZodType<readonly string[], string> {
  const protocols = options.protocols ?? ['http:', 'https:'];
  return envList(options.listMax ?? 64, 'URLs', (item) => {
    if (!URL.canParse(item)) return rejected('is not an absolute URL');
    const url = new URL(item);
    if (!protocols.includes(url.protocol)) return rejected(`must use ${protocols.join(' or ')}`);
    return ok(url.href);
  });
}

/** A file-system path, resolved against the working directory at start-up, so logs show where. */
export function envPath(): z.ZodType<string, string> {
  return envSchema((text) => {
    if (text === '') return rejected('must not be empty');
    if (text.includes('\0')) return rejected('must not contain a NUL character');
    return ok(path.resolve(text));
  });
}
