import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AssertionError } from '@fareledger/domain';
import {
  ConfigError,
  configHelp,
  envBool,
  envEnum,
  envHostPortList,
  envInt,
  envPath,
  envString,
  envUrlList,
  loadConfig,
  parseCliArgs,
} from './config.js';

function reason(schema: z.ZodType, text: string): string {
  const result = schema.safeParse(text);
  if (result.success) throw new Error(`accepted ${JSON.stringify(text)}`);
  return result.error.issues.map((issue) => issue.message).join('; ');
}

describe('envInt', () => {
  const port = envInt({ min: 0, max: 65_535 });
  const signed = envInt({ min: -100, max: 100_000 });

  it.each([
    ['0', 0],
    ['8080', 8080],
    ['65535', 65_535],
    ['007', 7],
    ['-0', 0],
  ])('port %j is %d', (text, value) => {
    expect(Object.is(port.parse(text), value)).toBe(true);
  });

  it.each([
    ['100_000', 100_000],
    ['1_0', 10],
    ['-100', -100],
    ['-1_0', -10],
  ])('signed %j is %d', (text, value) => {
    expect(signed.parse(text)).toBe(value);
  });

  it.each(['', ' 80', '80 ', '1e3', '0x10', '12abc', '+5', '1.0', '1.5', '_1', '1_', '1__0', '--1', '٣', 'NaN', 'Infinity'])(
    'rejects %j as not a decimal integer',
    (text) => {
      expect(reason(port, text)).toBe('must be a decimal integer (digits, `_` allowed between digits)');
    },
  );

  it.each(['65536', '-1', '99999999999999999999'])('rejects %j as out of range', (text) => {
    expect(reason(port, text)).toBe('must be between 0 and 65535');
  });

  it('asserts on bounds that make no sense', () => {
    expect(() => envInt({ min: 2, max: 1 })).toThrow(AssertionError);
    expect(() => envInt({ min: 0, max: 1.5 })).toThrow(AssertionError);
  });
});

describe('envString', () => {
  it('takes 1..4096 characters by default', () => {
    expect(envString().parse('x')).toBe('x');
    expect(envString().parse('x'.repeat(4096))).toBe('x'.repeat(4096));
    expect(reason(envString(), '')).toBe('must be 1 to 4096 characters');
    expect(reason(envString(), 'x'.repeat(4097))).toBe('must be 1 to 4096 characters');
  });

  it('checks pattern and lengths', () => {
    const id = envString({ pattern: /^[a-z][a-z0-9-]*$/, lengthMax: 8 });
    expect(id.parse('ingest-1')).toBe('ingest-1');
    expect(reason(id, 'Ingest')).toBe('must match ^[a-z][a-z0-9-]*$');
    expect(reason(id, 'ingest-12')).toBe('must be 1 to 8 characters');
    expect(envString({ lengthMin: 0 }).parse('')).toBe('');
  });

  it('asserts that a pattern is anchored and stateless', () => {
    expect(() => envString({ pattern: /[a-z]+/ })).toThrow(AssertionError);
    expect(() => envString({ pattern: /^[a-z]+$/g })).toThrow(AssertionError);
  });
});

describe('envEnum, envBool', () => {
  it('takes exactly the listed values', () => {
    const codec = envEnum(['json', 'msgpack']);
    expect(codec.parse('msgpack')).toBe('msgpack');
    expect(reason(codec, 'JSON')).toBe('must be one of: json, msgpack');
    expect(reason(codec, '')).toBe('must be one of: json, msgpack');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('bool %j is %s', (text, value) => {
    expect(envBool().parse(text)).toBe(value);
  });

  it.each(['TRUE', 'yes', 'on', '', ' 1', '2'])('bool rejects %j', (text) => {
    expect(reason(envBool(), text)).toBe('must be true, false, 1 or 0');
  });
});

describe('envHostPortList', () => {
  const brokers = envHostPortList();

  it.each([
    ['127.0.0.1:9092', ['127.0.0.1:9092']],
    ['kafka-1:9092,kafka-2.internal:19092', ['kafka-1:9092', 'kafka-2.internal:19092']],
    ['a:1 , b:65535', ['a:1', 'b:65535']],
    ['[::1]:9092', ['[::1]:9092']],
  ])('%j is %j', (text, list) => {
    expect(brokers.parse(text)).toEqual(list);
  });

  it.each([
    ['', 'entry 1 is empty; expected a comma-separated list of host:port'],
    ['a:1,', 'entry 2 is empty; expected a comma-separated list of host:port'],
    ['kafka', 'entry 1 ("kafka") must be host:port'],
    ['kafka:', 'entry 1 ("kafka:") must be host:port'],
    [':9092', 'entry 1 (":9092") must be host:port'],
    ['a:1,b:0', 'entry 2 ("b:0") has a port outside 1..65535'],
    ['a:70000', 'entry 1 ("a:70000") has a port outside 1..65535'],
    ['http://a:1', 'entry 1 ("http://a:1") must be host:port'],
    ['a_b:1', 'entry 1 ("a_b:1") must be host:port'],
    ['-a:1', 'entry 1 ("-a:1") must be host:port'],
    ['::1:9092', 'entry 1 ("::1:9092") must be host:port'],
    ['a:1,a:1', 'entry 2 ("a:1") is listed twice'],
  ])('rejects %j', (text, why) => {
    expect(reason(brokers, text)).toBe(why);
  });

  it('bounds the list', () => {
    expect(reason(envHostPortList({ listMax: 2 }), 'a:1,b:1,c:1')).toBe('must have at most 2 entries');
  });
});

describe('envUrlList, envPath', () => {
  it('normalises URLs and checks the protocol', () => {
    expect(envUrlList().parse('http://a:80,https://B.example/x')).toEqual(['http://a/', 'https://b.example/x']);
    expect(reason(envUrlList(), 'a.example')).toBe('entry 1 ("a.example") is not an absolute URL');
    expect(reason(envUrlList(), 'ftp://a')).toBe('entry 1 ("ftp://a") must use http: or https:');
    expect(envUrlList({ protocols: ['ws:'] }).parse('ws://a')).toEqual(['ws://a/']);
  });

  it('resolves paths against the working directory', () => {
    expect(envPath().parse('/var/lib/fareledger')).toBe('/var/lib/fareledger');
    expect(envPath().parse('data/ledger.db')).toBe(path.join(process.cwd(), 'data/ledger.db'));
    expect(reason(envPath(), '')).toBe('must not be empty');
    expect(reason(envPath(), 'a\0b')).toBe('must not contain a NUL character');
  });
});

const spec = {
  port: { env: 'TEST_PORT', description: 'TCP port', schema: envInt({ min: 0, max: 65_535 }), default: '8080' },
  brokers: { env: 'KAFKA_BROKERS', description: 'Kafka brokers, host:port list', schema: envHostPortList() },
  linger: { env: 'TEST_LINGER_MS', description: 'Producer linger', schema: envInt({ min: 0, max: 1000 }), default: '5' },
  token: { env: 'TEST_TOKEN', description: 'Admin token', schema: envString({ lengthMin: 16 }), secret: true },
  dataDir: { env: 'TEST_DATA_DIR', description: 'Where SQLite files live', schema: envPath().optional() },
} as const;

describe('loadConfig', () => {
  const good = { KAFKA_BROKERS: 'a:1,b:2', TEST_TOKEN: 'x'.repeat(16), TEST_LINGER_MS: '1_000' };

  it('returns typed, frozen values with defaults applied', () => {
    const config = loadConfig(spec, good);
    expect(config).toEqual({ port: 8080, brokers: ['a:1', 'b:2'], linger: 1000, token: 'x'.repeat(16), dataDir: undefined });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.brokers)).toBe(true);
    const port: number = config.port;
    const brokers: readonly string[] = config.brokers;
    const dataDir: string | undefined = config.dataDir;
    expect([port, brokers.length, dataDir]).toEqual([8080, 2, undefined]);
  });

  it('lists every bad variable by name, masking secrets', () => {
    const env = { TEST_PORT: '80a', TEST_TOKEN: 'short-secret', TEST_LINGER_MS: '', TEST_DATA_DIR: '/d' };
    let error: unknown;
    try {
      loadConfig(spec, env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      [
        'Invalid configuration (4 variables):',
        '  TEST_PORT="80a": must be a decimal integer (digits, `_` allowed between digits)',
        '  KAFKA_BROKERS: required, not set',
        '  TEST_LINGER_MS="": must be a decimal integer (digits, `_` allowed between digits)',
        '  TEST_TOKEN=<secret, not shown>: must be 16 to 4096 characters',
      ].join('\n'),
    );
    expect((error as ConfigError).issues.map((issue) => [issue.env, issue.value])).toEqual([
      ['TEST_PORT', '80a'],
      ['KAFKA_BROKERS', undefined],
      ['TEST_LINGER_MS', ''],
      ['TEST_TOKEN', undefined],
    ]);
    expect(JSON.stringify((error as ConfigError).issues)).not.toContain('short-secret');
  });

  it('truncates long values in the message', () => {
    expect(() => loadConfig(spec, { ...good, TEST_PORT: '9'.repeat(100) })).toThrow(
      `Invalid configuration (1 variable):\n  TEST_PORT="${'9'.repeat(80)}…": must be between 0 and 65535`,
    );
  });

  it('rejects unknown variables under the given prefixes', () => {
    const env = { ...good, TEST_PROT: '1', TEST_A: 'x', OTHER_X: 'y' };
    expect(() => loadConfig(spec, env, { prefixes: ['TEST_'] })).toThrow(
      [
        'Invalid configuration (2 variables):',
        '  TEST_A: unknown variable (misspelt?); see --help',
        '  TEST_PROT: unknown variable (misspelt?); see --help',
      ].join('\n'),
    );
    expect(loadConfig(spec, env).port).toBe(8080);
  });

  it.each([
    ['a bad key', { Port: { env: 'P', description: 'd', schema: envBool() } }],
    ['a bad env name', { port: { env: 'test-port', description: 'd', schema: envBool() } }],
    ['a default that does not parse', { port: { env: 'P', description: 'd', schema: envBool(), default: 'yes' } }],
    ['no description', { port: { env: 'P', description: '', schema: envBool() } }],
    ['an env name used twice', { a: { env: 'P', description: 'd', schema: envBool() }, b: { env: 'P', description: 'd', schema: envBool() } }],
  ])('asserts on a spec with %s', (_name, badSpec) => {
    expect(() => loadConfig(badSpec, {})).toThrow(AssertionError);
  });
});

describe('configHelp, parseCliArgs', () => {
  const help = configHelp({ command: 'fareledger-test', summary: 'Accepts test taps.', spec });

  it('prints usage, summary and a table of every variable', () => {
    expect(help).toBe(
      [
        'Usage: fareledger-test [--help]',
        '',
        'Accepts test taps.',
        '',
        'All configuration comes from environment variables:',
        '',
        '  VARIABLE        DEFAULT     DESCRIPTION',
        '  TEST_PORT       8080        TCP port',
        '  KAFKA_BROKERS   required    Kafka brokers, host:port list',
        '  TEST_LINGER_MS  5           Producer linger',
        '  TEST_TOKEN      required    Admin token',
        '  TEST_DATA_DIR   (optional)  Where SQLite files live',
        '',
      ].join('\n'),
    );
  });

  function run(argv: string[]): [string, string, string] {
    let out = '';
    let err = '';
    const action = parseCliArgs(argv, help, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
    return [action, out, err];
  }

  it('runs with no arguments, prints help for --help and -h', () => {
    expect(run([])).toEqual(['run', '', '']);
    expect(run(['--help'])).toEqual(['exit-0', help, '']);
    expect(run(['-h'])).toEqual(['exit-0', help, '']);
  });

  it('rejects any other argument with a reason and the help, exit 2', () => {
    expect(run(['--port', '80'])).toEqual([
      'exit-2',
      '',
      `Unexpected argument "--port" "80": this service takes its configuration from environment variables only.\n\n${help}`,
    ]);
  });
});
