import type { JsonObject } from "../validate";
import type { Handler, HandlerContext } from "./common";

/** POST /simulator/faults: {clear:true} removes every fault, anything else adds one. */
function faults(ctx: HandlerContext): JsonObject {
  if (ctx.body.clear === true) {
    ctx.core.faults.clear();
    return { cleared: true };
  }
  const f = ctx.core.faults.add(ctx.body);
  return { fault_id: f.id };
}

function reset(ctx: HandlerContext): JsonObject {
  ctx.core.reset();
  return { reset: true };
}

/** The simulator's own control surface (not Plaid): the client credentials, as Plaid's API; never subject to faults. */
export const CONTROL_ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["/simulator/faults", faults],
  ["/simulator/reset", reset],
]);
