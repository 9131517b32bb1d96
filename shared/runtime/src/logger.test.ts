import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { createLogger, logLevelSetting, silentLogger } from './logger.js';
import { capturingLogger } from './test-logger.js';

describe('createLogger', () => {
  it('writes one JSON line per record, with the name, a level label and an ISO time', () => {
    const { logger, lines } = capturingLogger('ingest');
    logger.info({ port: 8080 }, 'listening');
    logger.debug('not written at info');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 'info', name: 'ingest', port: 8080, msg: 'listening', pid: process.pid });
    expect(String(line?.['time'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('serialises errors with their stack under err', () => {
    const { logger, lines } = capturingLogger('batcher');
    logger.error({ err: new TypeError('boom') }, 'failed');
    expect(lines[0]?.['err']).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(String((lines[0]?.['err'] as { stack: string }).stack)).toContain('TypeError: boom\n    at ');
  });

  it('takes LOG_LEVEL from the environment, and rejects an unknown one', () => {
    const saved = process.env['LOG_LEVEL'];
    try {
      process.env['LOG_LEVEL'] = 'debug';
      expect(createLogger('a').level).toBe('debug');
      delete process.env['LOG_LEVEL'];
      expect(createLogger('a').level).toBe('info');
      process.env['LOG_LEVEL'] = 'verbose';
      expect(() => createLogger('a')).toThrow(ConfigError);
      expect(() => createLogger('a')).toThrow(
        'Invalid configuration (1 variable):\n  LOG_LEVEL="verbose": must be one of: fatal, error, warn, info, debug, trace, silent',
      );
      expect(createLogger('a', { level: 'warn' }).level).toBe('warn');
    } finally {
      if (saved === undefined) delete process.env['LOG_LEVEL'];
      else process.env['LOG_LEVEL'] = saved;
    }
  });

  it('offers LOG_LEVEL as a setting for service specs', () => {
    expect([logLevelSetting.env, logLevelSetting.default, logLevelSetting.schema.parse('trace')]).toEqual(['LOG_LEVEL', 'info', 'trace']);
  });

  it('has a silent logger for tests', () => {
    expect(silentLogger().level).toBe('silent');
    expect(silentLogger().isLevelEnabled('fatal')).toBe(false);
  });
});
