import { createRouter } from "../lib/openapi";

export const authRoutes = createRouter();
