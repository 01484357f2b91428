/** Node ids as the admin routes accept them: the routes act only on the node a request names. */
const NODE_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A well-formed node id, and not a name of Object.prototype (`__proto__`, `constructor`, ...). */
export function isNodeId(v: unknown): v is string {
  return typeof v === "string" && NODE_ID_RE.test(v) && !(v in Object.prototype);
}
