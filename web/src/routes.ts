// Where the person is, kept in the URL's hash (so links, reloads and Back work with a page served
// as one static file). Each variant has a case in Shell's main area. Pure (no DOM, no Preact), so
// test/web/ checks it in the runtime suite; route.ts adds the hook and navigation.

export type SearchTab = "messages" | "files" | "channels";
export type AdminTab = "users" | "invites" | "reports" | "audit";

export type Route =
  | { view: "home" }
  /** `messageId`: a message to show and mark (a search result, a link). */
  | { view: "channel"; channelId: string; threadId: string | null; messageId?: string | null }
  | { view: "settings"; tab: "profile" | "password" | "sessions" }
  | { view: "register"; invite: string | null }
  | { view: "search"; tab: SearchTab; q: string }
  | { view: "admin"; tab: AdminTab };

const SEARCH_TABS: SearchTab[] = ["messages", "files", "channels"];
const ADMIN_TABS: AdminTab[] = ["users", "invites", "reports", "audit"];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [head, a, b, c, d, e] = parts;
  if (head === "c" && a) {
    const threadId = b === "t" && c ? c : null;
    const [m, id] = threadId ? [d, e] : [b, c];
    return { view: "channel", channelId: a, threadId, messageId: m === "m" && id ? id : null };
  }
  if (head === "settings") return { view: "settings", tab: a === "password" || a === "sessions" ? a : "profile" };
  if (head === "register" || head === "invite") return { view: "register", invite: a || null };
  if (head === "search")
    return { view: "search", tab: SEARCH_TABS.includes(a as SearchTab) ? (a as SearchTab) : "messages", q: parts.slice(2).join("/") };
  if (head === "admin") return { view: "admin", tab: ADMIN_TABS.includes(a as AdminTab) ? (a as AdminTab) : "users" };
  return { view: "home" };
}

export function routeHash(route: Route): string {
  const enc = encodeURIComponent;
  switch (route.view) {
    case "home":
      return "#/";
    case "channel":
      return `#/c/${enc(route.channelId)}${route.threadId ? `/t/${enc(route.threadId)}` : ""}${route.messageId ? `/m/${enc(route.messageId)}` : ""}`;
    case "settings":
      return `#/settings/${route.tab}`;
    case "register":
      return route.invite ? `#/invite/${enc(route.invite)}` : "#/register";
    case "search":
      return `#/search/${route.tab}/${enc(route.q)}`;
    case "admin":
      return `#/admin/${route.tab}`;
  }
}
