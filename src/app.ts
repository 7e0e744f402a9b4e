import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import realtimeDocs from "../docs/realtime.md";
import type { AppEnv } from "./env";
import { REALTIME_DOCS_PATH, renderApiDocs, renderRealtimeDocs } from "./lib/apiDocs";
import { ColinkError, problemResponse } from "./lib/ColinkError";
import { ConfigError, config } from "./lib/config";
import { log } from "./lib/log";
import { withEdgeResponses } from "./lib/openapi";
import { cors } from "./middleware/cors";
import { limitUrlLength } from "./middleware/limitUrlLength";
import { requestContext } from "./middleware/requestContext";
import { requireJsonBody } from "./middleware/requireJsonBody";
import { adminRoutes } from "./routes/admin";
import { adminSearchRoutes } from "./routes/adminSearch";
import { authRoutes } from "./routes/auth";
import { channelsRoutes } from "./routes/channels";
import { dmsRoutes } from "./routes/dms";
import { filesRoutes } from "./routes/files";
import { messagesRoutes } from "./routes/messages";
import { myChannelsRoutes } from "./routes/myChannels";
import { mySessionsRoutes } from "./routes/mySessions";
import { myThreadsRoutes } from "./routes/myThreads";
import { pinsRoutes } from "./routes/pins";
import { presenceRoutes } from "./routes/presence";
import { reactionsRoutes } from "./routes/reactions";
import { searchRoutes } from "./routes/search";
import { threadsRoutes } from "./routes/threads";
import { usersRoutes } from "./routes/users";
import { wsRoutes } from "./routes/ws";

const api = new OpenAPIHono<AppEnv>()
  .route("/auth", authRoutes)
  .route("/users/me/channels", myChannelsRoutes)
  .route("/users/me/threads", myThreadsRoutes)
  .route("/users/me/sessions", mySessionsRoutes)
  .route("/users", presenceRoutes)
  .route("/users", usersRoutes)
  .route("/admin/search", adminSearchRoutes)
  .route("/admin", adminRoutes)
  .route("/channels", channelsRoutes)
  .route("/channels", messagesRoutes)
  .route("/channels", threadsRoutes)
  .route("/channels", reactionsRoutes)
  .route("/channels", pinsRoutes)
  .route("/dms", dmsRoutes)
  .route("/files", filesRoutes)
  .route("/search", searchRoutes)
  .route("/ws", wsRoutes);

api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });

const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "Colink API",
    version: "1.0.0",
    description: "Colink: channels, DMs, threads, reactions, presence and real-time events over one HTTP + WebSocket API.",
  },
  servers: [{ url: "/api/v1" }],
};

let openApiDocument: ReturnType<typeof api.getOpenAPI31Document> | undefined;
/** Generated once per isolate from the routes' zod schemas, with the answers middleware gives. */
const openApi = () => (openApiDocument ??= withEdgeResponses(api.getOpenAPI31Document(OPENAPI_INFO)));

api.get("/openapi.json", (c) => c.json(openApi()));

export const app = new OpenAPIHono<AppEnv>();
app.use("*", requestContext);
app.use("/api/*", cors);
app.use("*", limitUrlLength);
app.use("/api/v1/*", requireJsonBody);
// Reads the settings, so a deployment with invalid ones fails its health check (503).
app.get("/healthz", (c) => {
  config(c.env);
  return c.json({ status: "ok" });
});
app.get("/api/docs", (c) => c.html(renderApiDocs(openApi())));
app.get(REALTIME_DOCS_PATH, (c) => c.html(renderRealtimeDocs(realtimeDocs)));
app.get(`${REALTIME_DOCS_PATH}.md`, (c) => c.body(realtimeDocs, 200, { "content-type": "text/markdown; charset=utf-8" }));
app.route("/api/v1", api);

app.notFound((c) => problemResponse(new ColinkError(404, "not_found", "No such resource."), c.get("requestId")));

app.onError((err, c) => {
  const requestId = c.get("requestId");
  if (err instanceof ColinkError) return problemResponse(err, requestId);
  if (err instanceof ConfigError) {
    log("error", "invalid configuration", { request_id: requestId, path: c.req.path, error: err });
    return problemResponse(
      new ColinkError(503, "misconfigured", "Colink is misconfigured; its operator can find the reason in the logs."),
      requestId,
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono raises these for malformed JSON and similar request-level problems.
    const code = err.status === 400 ? "malformed_request" : "http_error";
    return problemResponse(new ColinkError(err.status, code, err.message || "Bad request."), requestId);
  }
  log("error", "unhandled error", { request_id: requestId, path: c.req.path, error: err });
  return problemResponse(new ColinkError(500, "internal_error", "Something went wrong on our side."), requestId);
});

export type AppType = typeof api;
