/**
 * The official Plaid client, as this package loads it. From the sources (tests, tsx) this is the
 * `plaid` package itself; `npm run build` replaces its compiled file with plaid-node's own code,
 * comments and whitespace removed (scripts/vendor-plaid.js): 9.7 MB of JSDoc in its api.js cost
 * ~250 ms and ~40 MB each time a worker loads it. README "Security fixes" says how updates arrive.
 */
export { Configuration, PlaidApi } from "plaid";
