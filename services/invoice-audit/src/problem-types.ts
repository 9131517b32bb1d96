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
  'adjustment-conflict': {
    status: 409,
    title: 'That adjustmentId names another adjustment',
    description:
      'An adjustment with this `adjustmentId` was made before with other contents. An adjustmentId names one adjustment for ever: ' +
      'send the same request again to retry it, or choose a new adjustmentId for a new adjustment.',
  },
  'adjustment-exceeds-charge': {
    status: 422,
    title: 'The credit exceeds what the trip charged',
    description:
      'A trip can be credited at most what it charged, less what was credited (or is being credited) already. `leftFen` in the body ' +
      'is what can still be credited. Nothing was stored.',
  },
  'adjustment-not-confirmed': {
    status: 503,
    title: 'The tap log did not confirm the adjustment',
    description:
      'The adjustment is stored here but the tap log (Kafka, or the embedded log) did not confirm it in time: it may or may not ' +
      'have been sent. Send the same request again (same adjustmentId) after `Retry-After` seconds; it is sealed once either way.',
  },
});
