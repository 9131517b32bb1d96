import { defineProblemTypes } from '@fareledger/runtime';

/** Problems only the invoice and audit service answers with; the generic ones come from @fareledger/runtime. */
export const invoiceProblemTypes = defineProblemTypes({
  'proof-unavailable': {
    status: 400,
    title: 'No such proof',
    description:
      'The proof asks for a tree size the chain has not reached, an index outside the tree, or sizes in the wrong order. ' +
      'Ask again with sizes from a checkpoint this service served (`/v1/chains/{chain}/checkpoint`).',
  },
  'ledger-unavailable': {
    status: 503,
    title: 'The ledger could not be read',
    description:
      'The ledger file could not be read just now (it is being restored, or the disk failed). Nothing is wrong with the request: ' +
      'retry after `Retry-After` seconds.',
  },
});
