import { useEffect, useState } from "preact/hooks";
import { parseRoute, type Route, routeHash } from "./routes.ts";

export { type AdminTab, parseRoute, type Route, routeHash, type SearchTab } from "./routes.ts";

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
