import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { ListUsersQuery, UpdateProfileBody, UserIdParam, UserListSchema, UserSchema } from "../protocol/users";
import { updateProfile } from "../services/actions/accounts";
import { getUser, getUserFor, listUsers } from "../services/queries/users";

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
      description:
        "A guest sees only themselves and the people they share a channel or DM with. `email` is null except on the caller " +
        "themselves, for admins and owners, and for members when the workspace sets SHOW_EMAIL_TO_MEMBERS; `query` matches " +
        "e-mail addresses only where the caller sees them.",
      request: { query: ListUsersQuery },
      responses: { 200: jsonContent(UserListSchema, "A page of users"), ...errorResponses },
    }),
    async (c) => c.json(await listUsers(c.env, c.var.db, c.var.user, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{user_id}",
      summary: "One user",
      description: "404 `user_not_found` for a user a guest does not share a channel with. `email` as in GET /users.",
      request: { params: UserIdParam },
      responses: { 200: jsonContent(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => c.json(await getUserFor(c.env, c.var.db, c.var.user, c.req.valid("param").user_id), 200),
  );
