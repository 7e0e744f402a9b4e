import { createRouter } from "../lib/openapi";

export const adminRoutes = createRouter();
