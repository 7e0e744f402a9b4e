import { app } from "./app";

export { ChannelRoom } from "../durable-objects/channel-room/ChannelRoom";
export { UserSession } from "../durable-objects/user-session/UserSession";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
