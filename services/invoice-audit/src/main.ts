import { serviceMain } from '@fareledger/runtime';
import { invoiceAuditHelp, loadInvoiceAuditConfig } from './config.js';
import { startInvoiceAudit } from './service.js';

// The invoice and audit service's one entry point: config from the environment, then run
// until SIGINT/SIGTERM. `--help` lists every variable.
await serviceMain({
  name: 'invoice-audit',
  help: invoiceAuditHelp,
  shutdownMsMaxEnv: 'INVOICE_SHUTDOWN_MS_MAX',
  shutdownMsMaxDefault: 15_000,
  start: (logger, signal) => startInvoiceAudit(loadInvoiceAuditConfig(), { logger, signal }),
});
