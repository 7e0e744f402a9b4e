import type { ChannelView, StoreState } from "../../client/index.ts";
import type { UserView } from "../../src/protocol/users";

export const personName = (u: UserView | undefined, fallback = "Someone") => (u ? u.display_name || u.username : fallback);

/** The people of a DM other than the signed-in user (once its members are loaded). */
export function dmPartners(state: StoreState, view: ChannelView): UserView[] {
  const me = state.me?.id;
  return (view.members ?? []).filter((m) => m.user_id !== me).flatMap((m) => state.users[m.user_id] ?? []);
}

export function channelTitle(state: StoreState, view: ChannelView): string {
  if (view.channel.kind === "dm" || view.channel.kind === "group_dm") {
    const people = dmPartners(state, view);
    if (!people.length) return view.members ? personName(state.me ?? undefined, "Just you") : "Direct message";
    return people.map((u) => personName(u)).join(", ");
  }
  return view.channel.name ?? "channel";
}

export const isDm = (view: ChannelView) => view.channel.kind === "dm" || view.channel.kind === "group_dm";

export function typingText(names: string[]): string | null {
  if (!names.length) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
export const clock = (iso: string) => timeFmt.format(new Date(iso));
export const day = (iso: string) => dayFmt.format(new Date(iso));
