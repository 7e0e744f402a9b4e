import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { ListUsersQuery, UpdateProfileBody, UserIdParam, UserListSchema, UserSchema } from "../protocol/users";
import { updateProfile } from "../services/actions/accounts";
import { getUser, listUsers } from "../services/queries/users";

const common = { tags: ["Users"], middleware: [requireUser], security: bearerSecurity };

export const usersRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/me",
      summary: "The caller's own account",
      responses: { 200: jsonContent(UserSchema, "The caller"), ...errorResponses },
    }),
    async (c) => c.json(await getUser(c.var.db, c.var.user.id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "patch",
      path: "/me",
      summary: "Change the caller's profile",
      description: "Only the fields sent change; an empty or absent body changes nothing.",
      request: { body: { ...jsonBody(UpdateProfileBody), required: false } },
      responses: { 200: jsonContent(UserSchema, "The updated caller"), ...errorResponses },
    }),
    async (c) => c.json(await updateProfile(c.env, c.var.db, c.var.user.id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/",
      summary: "The workspace directory, by username",
      request: { query: ListUsersQuery },
      responses: { 200: jsonContent(UserListSchema, "A page of users"), ...errorResponses },
    }),
    async (c) => c.json(await listUsers(c.var.db, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{user_id}",
      summary: "One user",
      request: { params: UserIdParam },
      responses: { 200: jsonContent(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => c.json(await getUser(c.var.db, c.req.valid("param").user_id), 200),
  );
