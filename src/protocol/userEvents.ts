/** User event types: what concerns one user alone, in their own `user_seq` order. */
export const USER_EVENT_TYPES = [
  "channel.added",
  "channel.removed",
  "read.updated",
  "user.updated",
  "thread.reply",
  "thread.read",
  "report.resolved",
] as const;
export type UserEventType = (typeof USER_EVENT_TYPES)[number];
