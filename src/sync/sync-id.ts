/**
 * A sync's id starts with its node's id, so a message that comes back (a Complete node's
 * confirmation) can be told apart from another node's output without loading the engine.
 */
export function syncIdPrefix(nodeId: string): string {
  return `${nodeId}.`;
}

export function isSyncIdOf(nodeId: string, syncId: unknown): syncId is string {
  return typeof syncId === "string" && syncId.startsWith(syncIdPrefix(nodeId));
}
