import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { AppEnv } from "../env";
import { ColinkError, type FieldError } from "./ColinkError";

export function fieldErrors(error: ZodError): FieldError[] {
  const path = (p: PropertyKey[]) => p.map(String).join(".") || "(root)";
  // An unknown field is reported at its own path ("role"), not as one issue on the enclosing object.
  return error.issues
    .flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => ({ path: path([...i.path, k]), message: "Unknown field." }))
        : [{ path: path(i.path), message: i.message }],
    )
    .slice(0, 50);
}

/**
 * A resource router. Validation failures become problem+json: 422 for bodies, 400 for query
 * strings and headers, 404 for path parameters (an id of the wrong shape names nothing).
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const errors = fieldErrors(result.error);
      if (result.target === "json") throw new ColinkError(422, "validation_failed", "Some fields are invalid.", { errors });
      if (result.target === "param") throw new ColinkError(404, "not_found", "No such resource.");
      throw new ColinkError(400, "invalid_request", `The ${result.target} is invalid.`, { errors });
    },
  });
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    request_id: z.string().optional(),
  })
  .openapi("Problem");

/** A problem+json response of a route (for the statuses `errorResponses` does not list). */
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });

/** The error responses every authenticated route may give, for the OpenAPI document. */
export const errorResponses = {
  400: problem("Malformed JSON, wrong content type or bad query string"),
  401: problem("Missing, expired, revoked or invalid token"),
  403: problem("Authenticated but not allowed"),
  404: problem("No such resource, or one the caller may not see"),
  409: problem("Conflict"),
  422: problem("Well-formed but invalid field values"),
  429: problem("Rate limited; see Retry-After"),
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const bearerSecurity = [{ bearer: [] }];

type Responses = Record<string, unknown>;
type OpenApiPaths = Record<string, Record<string, { responses?: Responses }>>;

/**
 * Adds the answers that come before any route's own logic: 414 (URL too long) and 503
 * (misconfigured) on every operation, and on every one that may carry a body 408 (the body came
 * too slowly) and 413 (too large). Existing, more specific entries are kept.
 */
export function withEdgeResponses<D extends { paths?: unknown }>(doc: D): D {
  // The document is already generated: refer to the Problem schema by name, not with the zod schema.
  const problemRef = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  });
  const edge: [string, ReturnType<typeof problemRef>, (method: string) => boolean][] = [
    ["408", problemRef("The request body did not arrive within REQUEST_BODY_TIMEOUT_SECONDS (`request_timeout`)"), (m) => m !== "get"],
    ["413", problemRef("The request body is over 256 KiB (`body_too_large`)"), (m) => m !== "get"],
    ["414", problemRef("The URL is over 16 KiB (`uri_too_long`)"), () => true],
    ["503", problemRef("Colink is misconfigured (`misconfigured`); its operator finds the reason in the logs"), () => true],
  ];
  for (const item of Object.values((doc.paths ?? {}) as OpenApiPaths))
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== "object" || op === null || !op.responses) continue;
      for (const [status, response, applies] of edge) if (applies(method) && !(status in op.responses)) op.responses[status] = response;
      op.responses = Object.fromEntries(Object.entries(op.responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  return doc;
}
