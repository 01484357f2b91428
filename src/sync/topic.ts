/** A piece of an MQTT-style topic: no level separators or wildcards, never empty. */
export function topicPart(s: string): string {
  return s.replace(/[/#+]/g, "_").trim() || "unknown";
}
