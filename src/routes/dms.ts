import { createRouter } from "../lib/openapi";

export const dmsRoutes = createRouter();
