import { useEffect, useState } from "preact/hooks";

// Where the person is, kept in the URL's hash (so links, reloads and Back work with a page served
// as one static file). Files, search and admin pages add their own variants here and a case in
// Shell's main area.

export type Route =
  | { view: "home" }
  | { view: "channel"; channelId: string; threadId: string | null }
  | { view: "settings"; tab: "profile" | "password" | "sessions" }
  | { view: "register"; invite: string | null };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [head, a, b, c] = parts;
  if (head === "c" && a) return { view: "channel", channelId: a, threadId: b === "t" && c ? c : null };
  if (head === "settings") return { view: "settings", tab: a === "password" || a === "sessions" ? a : "profile" };
  if (head === "register" || head === "invite") return { view: "register", invite: a || null };
  return { view: "home" };
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case "home":
      return "#/";
    case "channel":
      return `#/c/${encodeURIComponent(route.channelId)}${route.threadId ? `/t/${encodeURIComponent(route.threadId)}` : ""}`;
    case "settings":
      return `#/settings/${route.tab}`;
    case "register":
      return route.invite ? `#/invite/${encodeURIComponent(route.invite)}` : "#/register";
  }
}

export const go = (route: Route) => {
  location.hash = routeHash(route);
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
