// The one place Durable Objects are addressed: by name, through typed RPC stubs.

export const channelRoom = (env: Env, channelId: string) => env.CHANNEL_ROOM.getByName(channelId);

export const userSession = (env: Env, userId: string) => env.USER_SESSION.getByName(userId);
