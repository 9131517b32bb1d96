import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The scenarios file (load-tests/scenarios.json), checked whole before anything starts: a
// typo in a rate fails the run at once, not three minutes in.

const positive = z.number().positive();
const count = z.number().int().positive();
const share = z.number().min(0).max(1);
const common = { name: z.string().min(1), description: z.string().min(1), seconds: positive, warmupSeconds: z.number().min(0), connections: count };

const ingestScenario = z.strictObject({ ...common, kind: z.literal('ingest'), tapsPerRequest: count, busShare: share });
const cityScenario = z.strictObject({
  ...common, kind: z.literal('city'), tapsPerS: count, tapsPerRequest: count, busShare: share, walletShare: share,
  auditExportEntries: count, auditExportPauseSeconds: z.number().min(0),
});
const fetchScenario = z.strictObject({ ...common, kind: z.literal('invoice-fetch') });
const auditScenario = z.strictObject({ ...common, kind: z.literal('audit') });
const scenario = z.discriminatedUnion('kind', [ingestScenario, cityScenario, fetchScenario, auditScenario]);

const scenariosFile = z.strictObject({
  $comment: z.string().optional(),
  ceilings: z.strictObject({ description: z.string(), echoSeconds: positive, echoConnections: count }),
  city: z.strictObject({
    description: z.string(), passengers: count, walletAccounts: count, gates: count, validators: count, rideSecondsMin: positive, rideSecondsMax: positive,
  }).refine((city) => city.walletAccounts < city.passengers, { error: 'walletAccounts must be fewer than passengers' })
    .refine((city) => city.rideSecondsMin <= city.rideSecondsMax, { error: 'rideSecondsMin must not be above rideSecondsMax' }),
  bench: z.array(scenario).min(1),
  soak: cityScenario,
});

export type Scenario = z.infer<typeof scenario>;
export type CityScenario = z.infer<typeof cityScenario>;
export type IngestScenario = z.infer<typeof ingestScenario>;
export type ScenariosFile = z.infer<typeof scenariosFile>;

export function readScenarios(path: string): ScenariosFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  const result = scenariosFile.safeParse(parsed);
  if (!result.success) throw new Error(`${path}: ${z.prettifyError(result.error)}`);
  const names = result.data.bench.map((s) => s.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new Error(`${path}: two bench scenarios are named "${repeated}"`);
  return result.data;
}
