import { createRouter } from "../lib/openapi";

export const channelsRoutes = createRouter();
