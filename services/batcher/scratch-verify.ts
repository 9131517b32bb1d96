import { parseVerifierKey } from '@fareledger/checkpoint';
import { LedgerReader, verifyChain } from '@fareledger/ledger';
const reader = LedgerReader.open({ path: process.argv[2] ?? '/tmp/bsmoke/data/ledger.db' });
const verifiers = reader.verifierKeys().map((k) => parseVerifierKey(k.verifierKey));
for (const chain of [0, 1, 2, 3]) console.log(chain, JSON.stringify(verifyChain(reader, chain, verifiers)).slice(0, 300));
