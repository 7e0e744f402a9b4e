import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";

// A real network hop between the SDK and wrangler dev that can fail on purpose: drop a response
// after the server has done the work (the case idempotent sends exist for), answer in the
// server's place with a 429 or 503 before it is reached, cut every open socket, or refuse new
// connections (a device offline). The server is never mocked: everything it answers is its own.

export type Fault =
  /** Forward, let the server answer, then cut the connection before the answer reaches the client. */
  | { kind: "drop-response" }
  /** Answer in place of the server (it never sees the request). */
  | { kind: "respond"; status: number; headers?: Record<string, string>; body?: unknown };

export type FaultRule = { match: (req: IncomingMessage) => boolean; fault: Fault; times: number };

export type FaultProxy = {
  url: string;
  /** Applies `fault` to the next `times` requests that `match`. */
  inject(match: (req: IncomingMessage) => boolean, fault: Fault, times?: number): void;
  /** Requests seen, as "METHOD /path". */
  seen: string[];
  /** Cuts every open connection, WebSockets included. */
  cutAll(): void;
  /** While offline, new connections are cut at once. */
  setOffline(offline: boolean): void;
  close(): Promise<void>;
};

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: FaultRule[] = [];
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  let offline = false;

  const take = (req: IncomingMessage): Fault | null => {
    const rule = rules.find((r) => r.times > 0 && r.match(req));
    if (!rule) return null;
    rule.times--;
    return rule.fault;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, dropResponse: boolean) => {
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (upRes) => {
        if (dropResponse) {
          // The server has answered, so the work is done; the client never learns it.
          upRes.resume();
          upRes.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  };

  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const fault = take(req);
    if (fault?.kind === "respond") {
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/problem+json", ...fault.headers });
      res.end(
        JSON.stringify(
          fault.body ?? {
            type: "about:blank",
            title: "injected",
            status: fault.status,
            code: "injected",
            detail: "injected by the test proxy",
          },
        ),
      );
      return;
    }
    forward(req, res, fault?.kind === "drop-response");
  });

  server.on("connection", (socket) => {
    if (offline) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  server.on("upgrade", (req, socket, head) => {
    seen.push(`UPGRADE ${req.url}`);
    const up = connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string;
        lines.push(`${name}: ${name.toLowerCase() === "host" ? upstream.host : req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    sockets.add(up);
    up.on("close", () => {
      sockets.delete(up);
      socket.destroy();
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
    socket.on("close", () => up.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const cutAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    inject(match, fault, times = 1) {
      rules.push({ match, fault, times });
    },
    cutAll,
    setOffline(value) {
      offline = value;
      if (value) cutAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
