import type { ChannelView } from "../../../client/index.ts";
import { useStoreState } from "../context.ts";
import { channelTitle, dmPartners, isDm, personName } from "../names.ts";
import { type Route, routeHash } from "../route.ts";
import { Avatar, PresenceDot } from "./Avatar.tsx";

function Badges({ view }: { view: ChannelView }) {
  if (view.mentions > 0)
    return (
      <span class="badge mention" title={view.mentions === 1 ? "1 mention" : `${view.mentions} mentions`}>
        <span class="sr-only">, </span>
        {view.mentions}
        <span class="sr-only">{view.mentions === 1 ? " mention" : " mentions"}</span>
      </span>
    );
  if (view.unread > 0)
    return (
      <span class={isDm(view) ? "badge" : "badge quiet"}>
        <span class="sr-only">, </span>
        {view.unread}
        <span class="sr-only"> unread</span>
      </span>
    );
  return null;
}

export function Sidebar(props: {
  route: Route;
  onSwitch: () => void;
  onNewChannel: () => void;
  onNewDm: () => void;
  onSignOut: () => void;
}) {
  const state = useStoreState();
  const current = props.route.view === "channel" ? props.route.channelId : null;
  const views = Object.values(state.channels).filter((v) => !v.channel.archived || v.channel.id === current);
  const channels = views.filter((v) => !isDm(v)).sort((a, b) => (a.channel.name ?? "").localeCompare(b.channel.name ?? ""));
  const dms = views
    .filter(isDm)
    .map((v) => ({ v, title: channelTitle(state, v) }))
    .sort((a, b) => b.v.lastSeq - a.v.lastSeq || a.title.localeCompare(b.title));
  const me = state.me;

  const item = (v: ChannelView, label: preact.ComponentChildren, title: string) => {
    const active = v.channel.id === current;
    const unread = v.unread > 0 || v.mentions > 0;
    return (
      <li key={v.channel.id}>
        <a
          href={routeHash({ view: "channel", channelId: v.channel.id, threadId: null })}
          class={`nav-item${active ? " active" : ""}${unread ? " unread" : ""}`}
          aria-current={active ? "page" : undefined}
          title={title}
        >
          {label}
          <Badges view={v} />
        </a>
      </li>
    );
  };

  return (
    <aside class="sidebar">
      <header class="sidebar-head">
        <a class="workspace" href="#/">
          <span class="logo small" aria-hidden="true" />
          Colink
        </a>
        <button type="button" class="ghost switch" onClick={props.onSwitch} title="Switch channel (Ctrl+K or ⌘K)">
          <span aria-hidden="true">⌕</span> Jump to… <kbd>{/Mac|iPhone|iPad/.test(navigator.platform) ? "⌘K" : "Ctrl K"}</kbd>
        </button>
      </header>
      <nav aria-label="Channels" class="channel-nav">
        <div class="section-head">
          <h2 id="channels-heading">Channels</h2>
          <button type="button" class="icon" aria-label="Add channels" title="Browse or create channels" onClick={props.onNewChannel}>
            +
          </button>
        </div>
        <ul aria-labelledby="channels-heading">
          {channels.map((v) =>
            item(
              v,
              <span class="label">
                <span class="hash" aria-hidden="true">
                  {v.channel.kind === "private" ? "🔒" : "#"}
                </span>
                {v.channel.name}
              </span>,
              v.channel.topic || (v.channel.name ?? ""),
            ),
          )}
        </ul>
        <div class="section-head">
          <h2 id="dms-heading">Direct messages</h2>
          <button type="button" class="icon" aria-label="New direct message" title="New direct message" onClick={props.onNewDm}>
            +
          </button>
        </div>
        <ul aria-labelledby="dms-heading">
          {dms.map(({ v, title }) => {
            const partners = dmPartners(state, v);
            const one = partners.length === 1 ? partners[0] : undefined;
            return item(
              v,
              <span class="label">
                {one ? <PresenceDot status={state.presence[one.id]?.status} /> : <span class="group-count">{v.channel.member_count}</span>}
                {title}
              </span>,
              title,
            );
          })}
        </ul>
      </nav>
      {me && (me.role === "owner" || me.role === "admin") && (
        <div class="sidebar-links">
          <a
            href={routeHash({ view: "admin", tab: "users" })}
            class={`nav-item${props.route.view === "admin" ? " active" : ""}`}
            aria-current={props.route.view === "admin" ? "page" : undefined}
          >
            <span class="label">
              <span class="hash" aria-hidden="true">
                ⚙
              </span>
              Administration
            </span>
          </a>
        </div>
      )}
      <footer class="sidebar-foot">
        <a href="#/settings/profile" class="me" title="Profile and settings">
          <Avatar user={me ?? undefined} size={28} />
          <span class="label">{personName(me ?? undefined, "You")}</span>
        </a>
        <button type="button" class="ghost" onClick={props.onSignOut}>
          Sign out
        </button>
      </footer>
    </aside>
  );
}
