import { createRouter } from "../lib/openapi";

export const messagesRoutes = createRouter();
