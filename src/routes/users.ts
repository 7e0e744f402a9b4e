import { createRouter } from "../lib/openapi";

export const usersRoutes = createRouter();
