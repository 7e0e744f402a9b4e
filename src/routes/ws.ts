import { createRouter } from "../lib/openapi";

export const wsRoutes = createRouter();
