/**
 * A counting HTTP proxy in front of the simulator: every request is forwarded as is (streamed,
 * keep-alive) and counted by path, so the bench and the tests can say how many Plaid calls a
 * sync or a link made without adding anything to the simulator.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface ProxyEvent {
  path: string;
  /** Date.now() when the request arrived / when its response was finished. */
  start: number;
  end: number;
  reqBytes: number;
}

export interface CountingProxy {
  url: string;
  /** Requests seen per path since start. */
  counts: Map<string, number>;
  /** When `timeline` is on: every request with its times, oldest first. */
  events: ProxyEvent[];
  timeline: boolean;
  total(): number;
  close(): Promise<void>;
}

export function startCountingProxy(target: string): Promise<CountingProxy> {
  const t = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const counts = new Map<string, number>();
  const events: ProxyEvent[] = [];
  const self = { timeline: false };
  const server = http.createServer((req, res) => {
    const p = (req.url ?? "/").split("?")[0];
    counts.set(p, (counts.get(p) ?? 0) + 1);
    if (self.timeline) {
      const ev: ProxyEvent = { path: p, start: Date.now(), end: NaN, reqBytes: 0 };
      events.push(ev);
      req.on("data", (c: Buffer) => (ev.reqBytes += c.length));
      res.on("finish", () => (ev.end = Date.now()));
    }
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host }, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(up);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts,
        events,
        get timeline() {
          return self.timeline;
        },
        set timeline(on: boolean) {
          self.timeline = on;
        },
        total: () => [...counts.values()].reduce((a, b) => a + b, 0),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
            agent.destroy();
          }),
      });
    });
  });
}
