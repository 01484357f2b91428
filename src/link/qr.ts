/**
 * A QR code of a URL as inline SVG, for the Link page: scan it to finish Hosted Link on a phone.
 * Built from qrcode-generator's module matrix (one path, crisp at any size); loaded only when a
 * hosted Link page is rendered.
 */
import { escapeHtml } from "./html";

export function qrSvg(text: string, label: string): string {
  // Required here, not imported at the top: nothing to load while no page is shown.
  const qrcode = require("qrcode-generator") as typeof import("qrcode-generator");
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const margin = 4; // the quiet zone scanners need
  let d = "";
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) if (qr.isDark(y, x)) d += `M${x + margin},${y + margin}h1v1h-1z`;
  }
  const size = n + 2 * margin;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img" aria-label="${escapeHtml(label)}">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`
  );
}
