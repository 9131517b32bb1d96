export { AssertionError } from '@fareledger/domain';
export {
  type ConfigHelpOptions,
  type ConfigIssue,
  type ConfigOf,
  type ConfigSpec,
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
  type LoadConfigOptions,
  parseCliArgs,
  type Setting,
  type TextSink,
} from './config.js';
export { type CheckResult, type HealthOptions, type HealthRoutes, healthRoutes, type ReadyResult } from './health.js';
export { type Listening, listen, type ListenOptions, type ServeApp } from './http.js';
export { runService, type RunServiceOptions, type ServiceHandle, serviceMain, type ServiceMainOptions } from './lifecycle.js';
export { createLogger, type Logger, type LoggerOptions, type LogLevel, logLevels, logLevelSetting, silentLogger } from './logger.js';
export { createMetrics, httpMetrics, type Metrics, type MetricsOptions, metricsRoute } from './metrics.js';
export {
  defineProblemTypes,
  fromZodError,
  type GenericProblemSlug,
  genericProblemTypes,
  type InvalidParam,
  invalidParamSchema,
  invalidRequest,
  jsonPointer,
  Problem,
  problem,
  type ProblemBody,
  type ProblemOptions,
  problemSchema,
  type ProblemType,
  type ProblemTypeDefinition,
  type ProblemTypes,
  problemTypeUri,
  zodIssueParams,
} from './problem.js';
export { readBodyLimited } from './body.js';
export { ensurePrivateFile } from './private-file.js';
export { bearerToken, definedOnly, parseRequest, pathParam, readJsonBody, requireAdminToken } from './request.js';
export { docsPageRoutes } from './docs-page.js';
export { type JsonObject, openApiComponents, problemResponsesOf, withMalformedRequest } from './openapi.js';
export { problemDocsRoutes } from './problem-docs.js';
export { serviceApp, type ServiceAppOptions } from './service-app.js';
export { tsWorkerBootUrl } from './ts-worker.js';
export { notFoundProblem, onProblemError, problemContentType, problemResponse } from './problem-http.js';
