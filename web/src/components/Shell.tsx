import { useEffect, useMemo, useState } from "preact/hooks";
import type { RealtimeStatus } from "../../../client/index.ts";
import { useColink, useStoreState } from "../context.ts";
import { dmPartners, isDm } from "../names.ts";
import { go, type Route } from "../route.ts";
import { Admin } from "./Admin.tsx";
import { ChannelPane } from "./ChannelPane.tsx";
import { ErrorBoundary } from "./ErrorBoundary.tsx";
import { NewChannelDialog } from "./NewChannelDialog.tsx";
import { SearchBox, SearchPage } from "./Search.tsx";
import { Settings } from "./Settings.tsx";
import { Sidebar } from "./Sidebar.tsx";
import { Switcher } from "./Switcher.tsx";

const STATUS_TEXT: Partial<Record<RealtimeStatus, string>> = {
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "You are offline. Messages will arrive when you are back.",
};

/** The signed-in app: the channel list, the open channel (or page), and its side panels. */
export function Shell(props: { route: Route; onSignOut: () => void }) {
  const colink = useColink();
  const state = useStoreState();
  const [dialog, setDialog] = useState<null | "switcher" | "new-channel" | "new-dm">(null);
  const [status, setStatus] = useState<RealtimeStatus>(colink.realtime.status);
  // On a narrow screen the channel list is a page of its own, opened from the header's menu button.
  const [navOpen, setNavOpen] = useState(false);
  const { route } = props;
  const where = route.view === "channel" ? `${route.channelId}/${route.threadId ?? ""}` : route.view;
  useEffect(() => setNavOpen(false), [where]);

  useEffect(() => colink.onStatus(setStatus), [colink]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setDialog((d) => (d === "switcher" ? null : "switcher"));
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // DMs are named after their people: load their members, and watch those people's presence
  // (again after each reconnect: a subscription belongs to one socket).
  const views = Object.values(state.channels);
  const dmIds = views
    .filter(isDm)
    .map((v) => v.channel.id)
    .sort()
    .join(",");
  useEffect(() => {
    for (const v of Object.values(colink.store.state.channels))
      if (isDm(v) && !v.members) void colink.store.loadMembers(v.channel.id).catch(() => {});
  }, [dmIds]);
  // Watched: DM partners, and the members of the open channel (its members panel shows them).
  const open = route.view === "channel" ? state.channels[route.channelId] : undefined;
  const watched = useMemo(
    () =>
      [
        ...new Set([
          ...views.filter(isDm).flatMap((v) => dmPartners(state, v).map((u) => u.id)),
          ...(open?.members ?? []).slice(0, 300).map((m) => m.user_id),
        ]),
      ]
        .filter((id) => id !== state.me?.id)
        .sort()
        .join(","),
    [state.channels, state.users, open?.members],
  );
  useEffect(() => {
    if (status === "live" && watched) void colink.watchPresence(watched.split(","));
  }, [watched, status]);

  // The tab's title counts what waits: mentions and DMs.
  const waiting = views.reduce((n, v) => n + (isDm(v) ? v.unread : v.mentions), 0);
  useEffect(() => {
    document.title = waiting ? `(${waiting}) Colink` : "Colink";
  }, [waiting]);

  // Home opens the first channel.
  const first = views
    .filter((v) => !isDm(v) && !v.channel.archived)
    .sort((a, b) => (a.channel.name ?? "").localeCompare(b.channel.name ?? ""))[0];
  useEffect(() => {
    if ((route.view === "home" || route.view === "register") && first) go({ view: "channel", channelId: first.channel.id, threadId: null });
  }, [route.view, first?.channel.id]);

  let main: preact.ComponentChildren;
  if (route.view === "channel")
    main = <ChannelPane key={route.channelId} channelId={route.channelId} threadId={route.threadId} messageId={route.messageId ?? null} />;
  else if (route.view === "settings") main = <Settings tab={route.tab} onSignOut={props.onSignOut} />;
  else if (route.view === "search") main = <SearchPage tab={route.tab} q={route.q} />;
  else if (route.view === "admin") main = <Admin tab={route.tab} />;
  else
    main = (
      <div class="empty-main">
        <h2>Welcome to Colink</h2>
        <p>You are not in any channel yet.</p>
        <button type="button" class="primary" onClick={() => setDialog("new-channel")}>
          Browse or create channels
        </button>
      </div>
    );

  const banner = STATUS_TEXT[status];
  return (
    <div class={navOpen ? "shell nav-open" : "shell"}>
      <button type="button" class="menu-button" aria-expanded={navOpen} onClick={() => setNavOpen(!navOpen)}>
        {navOpen ? "× Close" : "☰ Channels"}
      </button>
      <Sidebar
        route={route}
        onSwitch={() => setDialog("switcher")}
        onNewChannel={() => setDialog("new-channel")}
        onNewDm={() => setDialog("new-dm")}
        onSignOut={props.onSignOut}
      />
      <div class="main-column">
        <header class="top-bar">
          <SearchBox route={route} />
        </header>
        {banner && (
          <div class={`banner ${status}`} role="status">
            {banner}
          </div>
        )}
        <ErrorBoundary key={route.view === "channel" ? route.channelId : route.view}>{main}</ErrorBoundary>
      </div>
      {(dialog === "switcher" || dialog === "new-dm") && <Switcher peopleOnly={dialog === "new-dm"} onClose={() => setDialog(null)} />}
      {dialog === "new-channel" && <NewChannelDialog onClose={() => setDialog(null)} />}
    </div>
  );
}
