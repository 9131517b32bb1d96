import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failureSection, readReport } from './fuzz-schemathesis.js';

// What npm run fuzz reads of a schemathesis run: its JSON report (the shape of schemathesis
// 4.32.5's, trimmed) and the failures part of its output.

const dir = mkdtempSync(path.join(tmpdir(), 'fuzz-report-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const report = `{"schemathesis_version": "4.32.5", "seed": 154029144369878532194081239875650312345, "running_time": 2.5, "exit_code": 1,
  "operations": {"total": 26, "selected": 26, "tested": 26},
  "test_cases": {"generated": 480, "with_failures": 3, "unique_failures": 3},
  "failures": [
    {"type": "ServerError", "code": "ST101", "title": "Server error", "count": 1, "operations": ["GET /v1/keys"]},
    {"type": "UndefinedStatusCode", "code": "ST103", "title": "Undocumented status code", "count": 1, "operations": ["GET /v1/chains"]},
    {"type": "JsonSchemaError", "code": "ST108", "title": "Response violates schema", "count": 1, "operations": ["GET /v1/chains"]},
    {"type": "ResponseTimeExceeded", "code": "ST112", "title": "Response time limit exceeded", "count": 2, "operations": ["GET /v1/keys"]}
  ],
  "errors": [{"title": "Network Error", "count": 1}],
  "warnings": {"missing_auth": ["POST /v1/taps"], "missing_test_data": []}}`;

describe('readReport', () => {
  it('counts cases and failures by the check that raised them, and keeps the seed whole', () => {
    const reportPath = path.join(dir, 'report.json');
    writeFileSync(reportPath, report);
    expect(readReport(reportPath)).toEqual({
      exitCode: 1, operations: 26, cases: 480, seed: '154029144369878532194081239875650312345', runningTimeS: 2.5,
      failuresByCheck: { not_a_server_error: 1, status_code_conformance: 1, response_schema_conformance: 1, ResponseTimeExceeded: 2 },
      errors: [{ title: 'Network Error', count: 1 }],
    });
  });
});

describe('failureSection', () => {
  it("is schemathesis's output from FAILURES (or ERRORS) to SUMMARY, reproductions included", () => {
    const logPath = path.join(dir, 'run.log');
    const failures = ['=== FAILURES ===', '___ GET /v1/keys ___', '- ST101 Server error', 'Reproduce with:', '    curl -X GET http://127.0.0.1:1/v1/keys'].join('\n');
    writeFileSync(logPath, ['Schemathesis v4.32.5', ' ✅  Fuzzing (in 1.0s)', failures, '=== WARNINGS ===', 'none', '=== SUMMARY ===', 'Test cases: 1 generated'].join('\n'));
    expect(failureSection(logPath)).toBe(`${failures}\n=== WARNINGS ===\nnone`);
  });
});
