import { useEffect, useRef, useState } from "preact/hooks";
import type { AuditEntry, InviteSummary, Report, ReportAction, Role, UserView, WorkspaceStats } from "../../../client/index.ts";
import { useColink, useStoreState } from "../context.ts";
import { personName } from "../names.ts";
import { type AdminTab, routeHash } from "../route.ts";
import { formatSize } from "../uploads.ts";
import { Avatar } from "./Avatar.tsx";
import { ErrorLine, problemText } from "./forms.tsx";
import { PageTabs } from "./PageTabs.tsx";

// The workspace's admin pages (admins and owners; the server checks too): stats at the top, then
// users, invites, reports and the audit log (API.md "Users" Admin, "Admin and moderation").

export const MODERATOR_ROLES = new Set<Role>(["owner", "admin"]);
const ROLES: Role[] = ["owner", "admin", "member", "guest"];
const TABS: [AdminTab, string][] = [
  ["users", "Users"],
  ["invites", "Invites"],
  ["reports", "Reports"],
  ["audit", "Audit log"],
];

const whenFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const when = (iso: string) => whenFmt.format(new Date(iso));

export function Admin({ tab }: { tab: AdminTab }) {
  const { me } = useStoreState();
  if (!me || !MODERATOR_ROLES.has(me.role))
    return (
      <div class="empty-main">
        <h2>Admins only</h2>
        <p>Only the workspace's admins and owners see these pages.</p>
      </div>
    );
  return (
    <section class="page admin-page" aria-labelledby="admin-title">
      <header class="channel-head">
        <div class="title">
          <h1 id="admin-title">Administration</h1>
        </div>
      </header>
      <div class="page-scroll">
        <Stats />
        <PageTabs label="Administration" tabs={TABS} current={tab} href={(t) => routeHash({ view: "admin", tab: t })} />
        <div class="page-body">
          {tab === "users" && <Users />}
          {tab === "invites" && <Invites />}
          {tab === "reports" && <Reports />}
          {tab === "audit" && <Audit />}
        </div>
      </div>
    </section>
  );
}

function Stats() {
  const colink = useColink();
  const [stats, setStats] = useState<WorkspaceStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    colink.api
      .stats()
      .then(setStats)
      .catch((e: unknown) => setError(problemText(e)));
  }, []);
  if (error) return <ErrorLine error={error} />;
  const cards: [string, string, string?][] = stats
    ? [
        ["Active users", String(stats.users.active), `${stats.users.guests} guests · ${stats.users.deactivated} deactivated`],
        ["Online now", String(stats.online_now)],
        [
          "Channels",
          String(stats.channels.public + stats.channels.private),
          `${stats.channels.private} private · ${stats.channels.dm} DMs`,
        ],
        ["Messages, 30 days", stats.messages_last_30_days.toLocaleString()],
        ["Files stored", formatSize(stats.file_bytes)],
      ]
    : [];
  return (
    <dl class="stats" aria-label="Workspace stats" aria-busy={!stats}>
      {!stats && <div class="loading">Loading stats…</div>}
      {cards.map(([label, value, sub]) => (
        <div class="stat" key={label}>
          <dt>{label}</dt>
          <dd>
            <strong>{value}</strong>
            {sub && <small class="stat-sub">{sub}</small>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A page list with "load more" by cursor. */
function usePages<T>(load: (cursor?: string) => Promise<{ items: T[]; next_cursor: string | null }>, deps: unknown[]) {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const run = useRef(0);
  const fetchPage = async (cursor?: string) => {
    const mine = ++run.current;
    setLoading(true);
    setError(null);
    try {
      const page = await load(cursor);
      if (mine !== run.current) return;
      setItems((old) => (cursor ? [...(old ?? []), ...page.items] : page.items));
      setNext(page.next_cursor);
    } catch (e) {
      if (mine === run.current) setError(problemText(e));
    } finally {
      if (mine === run.current) setLoading(false);
    }
  };
  useEffect(() => {
    setItems(null);
    void fetchPage();
  }, deps);
  return {
    items,
    setItems,
    next,
    error,
    loading,
    more: () => next && void fetchPage(next),
    reload: () => void fetchPage(),
  };
}

function LoadMore(props: { next: string | null; loading: boolean; more: () => void; label?: string }) {
  if (props.loading) return <p class="loading">Loading…</p>;
  if (!props.next) return null;
  return (
    <button type="button" class="more" onClick={props.more}>
      {props.label ?? "Load more"}
    </button>
  );
}

// ── Users ───────────────────────────────────────────────────────────────────────────────────

function Users() {
  const colink = useColink();
  const { me } = useStoreState();
  const [query, setQuery] = useState("");
  const [q, setQ] = useState("");
  const pages = usePages<UserView>((cursor) => colink.api.users({ query: q || undefined, cursor, limit: 50 }), [q]);
  const [error, setError] = useState<string | null>(null);
  const replace = (u: UserView) => pages.setItems((list) => list?.map((x) => (x.id === u.id ? u : x)) ?? null);
  const act = async (call: () => Promise<UserView>) => {
    setError(null);
    try {
      replace(await call());
    } catch (e) {
      setError(problemText(e));
    }
  };
  return (
    <div class="admin-section">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(query.trim());
        }}
      >
        <input
          type="search"
          aria-label="Find people"
          placeholder="Name, username or email"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="submit">Find</button>
      </form>
      <ErrorLine error={error ?? pages.error} />
      <table class="admin-table" aria-label="Users">
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(pages.items ?? []).map((u) => (
            <tr key={u.id} class={u.deactivated ? "inactive" : ""}>
              <td>
                <span class="person">
                  <Avatar user={u} size={28} />
                  <span>
                    <strong>{personName(u)}</strong> <span class="muted">@{u.username}</span>
                  </span>
                </span>
              </td>
              <td class="muted">{u.email ?? "—"}</td>
              <td>
                <select
                  aria-label={`Role of ${u.username}`}
                  value={u.role}
                  disabled={u.id === me?.id}
                  onChange={(e) => {
                    const role = e.currentTarget.value as Role;
                    void act(() => colink.api.changeRole(u.id, role));
                  }}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.deactivated ? <span class="tag danger">Deactivated</span> : <span class="tag ok">Active</span>}</td>
              <td>
                <div class="row-actions">
                  {u.id !== me?.id &&
                    (u.deactivated ? (
                      <button type="button" onClick={() => void act(() => colink.api.reactivateUser(u.id))}>
                        Reactivate
                      </button>
                    ) : (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => {
                          if (confirm(`Deactivate ${personName(u)}? They are signed out everywhere at once.`))
                            void act(() => colink.api.deactivateUser(u.id));
                        }}
                      >
                        Deactivate
                      </button>
                    ))}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages.items?.length === 0 && <p class="muted">Nobody matches.</p>}
      <LoadMore next={pages.next} loading={pages.loading} more={pages.more} />
    </div>
  );
}

// ── Invites ─────────────────────────────────────────────────────────────────────────────────

const EXPIRY: [number, string][] = [
  [24, "1 day"],
  [24 * 7, "7 days"],
  [24 * 30, "30 days"],
];

export const inviteLink = (token: string) => `${location.origin}/#/invite/${encodeURIComponent(token)}`;

function Invites() {
  const colink = useColink();
  const state = useStoreState();
  const [items, setItems] = useState<InviteSummary[] | null>(null);
  const [role, setRole] = useState<Role>("member");
  const [hours, setHours] = useState(24 * 7);
  const [created, setCreated] = useState<{ link: string; expires: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    colink.api
      .invites()
      .then((r) => {
        setItems(r.items);
        colink.store.ensureUsers(r.items.map((i) => i.created_by));
      })
      .catch((e: unknown) => setError(problemText(e)));
  useEffect(() => {
    void load();
  }, []);
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      setError("The browser did not allow copying: select the link and copy it.");
    }
  };
  return (
    <div class="admin-section">
      <form
        class="filters"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const invite = await colink.api.createInvite({ role, expires_in_hours: hours });
            setCreated({ link: inviteLink(invite.invite_token), expires: invite.expires_at });
            setCopied(false);
            await load();
          } catch (err) {
            setError(problemText(err));
          }
        }}
      >
        <label>
          Role{" "}
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {ROLES.filter((r) => r !== "owner").map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Expires in{" "}
          <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            {EXPIRY.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create invite link
        </button>
      </form>
      {created && (
        <div class="notice invite-created" role="status">
          <p class="invite-note">New invite link (shown once; it works until {when(created.expires)}):</p>
          <div class="copy-row">
            <input readOnly aria-label="Invite link" value={created.link} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => void copy(created.link)}>
              {copied ? "Copied" : "Copy link"}
            </button>
          </div>
        </div>
      )}
      <ErrorLine error={error} />
      {items === null ? (
        <p class="loading">Loading invites…</p>
      ) : items.length === 0 ? (
        <p class="muted">No open invites.</p>
      ) : (
        <table class="admin-table" aria-label="Invites">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Created by</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-invite-id={i.id}>
                <td>{i.role}</td>
                <td>{personName(state.users[i.created_by])}</td>
                <td class="muted">{when(i.created_at)}</td>
                <td class="muted">{when(i.expires_at)}</td>
                <td class="actions-cell">
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Revoke invite created ${when(i.created_at)}`}
                    onClick={async () => {
                      setError(null);
                      try {
                        await colink.api.revokeInvite(i.id);
                        setItems((list) => list?.filter((x) => x.id !== i.id) ?? null);
                      } catch (e) {
                        setError(problemText(e));
                      }
                    }}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

// ── Reports ─────────────────────────────────────────────────────────────────────────────────

const ACTIONS: [ReportAction, string][] = [
  ["dismiss", "Dismiss"],
  ["delete_message", "Delete message"],
  ["deactivate_user", "Deactivate author"],
];

function Reports() {
  const colink = useColink();
  const state = useStoreState();
  const [status, setStatus] = useState<"open" | "resolved">("open");
  const pages = usePages<Report>((cursor) => colink.api.reports({ status, cursor, limit: 50 }), [status]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    colink.store.ensureUsers(
      (pages.items ?? []).flatMap((r) =>
        [r.reporter_id, String(r.message.author_id ?? ""), r.resolution?.resolved_by ?? ""].filter(Boolean),
      ),
    );
  }, [pages.items]);
  return (
    <div class="admin-section">
      <fieldset class="filters">
        <legend class="sr-only">Show</legend>
        {(["open", "resolved"] as const).map((s) => (
          <button
            key={s}
            type="button"
            class={s === status ? "toggle on" : "toggle"}
            aria-pressed={s === status}
            onClick={() => setStatus(s)}
          >
            {s === "open" ? "Open" : "Resolved"}
          </button>
        ))}
      </fieldset>
      <ErrorLine error={error ?? pages.error} />
      {pages.items?.length === 0 && <p class="muted">{status === "open" ? "Nothing to review." : "No resolved reports."}</p>}
      <ul class="reports">
        {(pages.items ?? []).map((r) => {
          const text = typeof r.message.text === "string" ? r.message.text : "";
          const authorId = typeof r.message.author_id === "string" ? r.message.author_id : "";
          const messageId = typeof r.message.id === "string" ? r.message.id : null;
          return (
            <li key={r.id} class="report" aria-label={`Report of a message by ${personName(state.users[authorId])}`}>
              <div class="report-head">
                <span class="tag">{r.reason}</span>
                <span class="muted">
                  by {personName(state.users[r.reporter_id])} · {when(r.created_at)}
                </span>
              </div>
              <blockquote>
                <strong>{personName(state.users[authorId])}</strong>: {text || <em class="muted">(no text)</em>}
              </blockquote>
              {r.comment && <p class="muted report-line">“{r.comment}”</p>}
              {messageId && (
                <a href={routeHash({ view: "channel", channelId: r.channel_id, threadId: null, messageId })} class="link">
                  Open in channel
                </a>
              )}
              {r.resolution ? (
                <p class="muted report-line">
                  Resolved: {r.resolution.action.replace("_", " ")} by {personName(state.users[r.resolution.resolved_by])} ·{" "}
                  {when(r.resolution.resolved_at)}
                  {r.resolution.note ? ` · ${r.resolution.note}` : ""}
                </p>
              ) : (
                <div class="row-actions">
                  {ACTIONS.map(([action, label]) => (
                    <button
                      key={action}
                      type="button"
                      class={action === "dismiss" ? "" : "danger"}
                      onClick={async () => {
                        if (action !== "dismiss" && !confirm(`${label}? This cannot be undone here.`)) return;
                        setError(null);
                        try {
                          const done = await colink.api.resolveReport(r.id, action);
                          pages.setItems((list) => list?.map((x) => (x.id === r.id ? done : x)) ?? null);
                        } catch (e) {
                          setError(problemText(e));
                        }
                      }}
                    >
                      {label}
                    </button>
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      <LoadMore next={pages.next} loading={pages.loading} more={pages.more} />
    </div>
  );
}

// ── Audit log ───────────────────────────────────────────────────────────────────────────────

const KNOWN_ACTIONS = [
  "user.role_changed",
  "user.deactivated",
  "user.reactivated",
  "user.password_reset",
  "user.muted",
  "user.unmuted",
  "invite.created",
  "invite.revoked",
  "member.removed",
  "message.deleted",
  "report.resolved",
  "file.quarantined",
  "export.created",
  "retention.changed",
  "retention.run",
];

type AuditFilter = { action: string; actor: string; target: string };

function Audit() {
  const colink = useColink();
  const state = useStoreState();
  const [form, setForm] = useState<AuditFilter>({ action: "", actor: "", target: "" });
  const [filter, setFilter] = useState<{ action?: string; actor_id?: string; target_id?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const pages = usePages<AuditEntry>((cursor) => colink.api.audit({ ...filter, cursor, limit: 50 }), [JSON.stringify(filter)]);
  useEffect(() => {
    colink.store.ensureUsers(
      (pages.items ?? []).flatMap((e) => [e.actor_id ?? "", e.target.type === "user" ? (e.target.id ?? "") : ""].filter(Boolean)),
    );
  }, [pages.items]);

  /** A person's id from "@username" (or an id as it is). */
  const resolvePerson = async (v: string): Promise<string | undefined> => {
    const s = v.trim();
    if (!s) return undefined;
    if (!s.startsWith("@")) return s;
    const name = s.slice(1).toLowerCase();
    const page = await colink.api.users({ query: name, limit: 20 });
    const hit = page.items.find((u) => u.username.toLowerCase() === name);
    if (!hit) throw new Error(`Nobody is called ${s}.`);
    return hit.id;
  };
  const targetName = (e: AuditEntry) => {
    if (e.target.type === "user" && e.target.id) {
      const u = state.users[e.target.id];
      if (u) return `${personName(u)} (@${u.username})`;
    }
    return e.target.id ?? "—";
  };
  const set = (k: keyof AuditFilter) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [k]: e.currentTarget.value });

  return (
    <div class="admin-section">
      <form
        class="filters"
        aria-label="Filter the audit log"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const [actor_id, target_id] = await Promise.all([resolvePerson(form.actor), resolvePerson(form.target)]);
            setFilter({
              ...(form.action.trim() ? { action: form.action.trim() } : {}),
              ...(actor_id ? { actor_id } : {}),
              ...(target_id ? { target_id } : {}),
            });
          } catch (err) {
            setError(problemText(err));
          }
        }}
      >
        <input
          list="audit-actions"
          aria-label="Action"
          placeholder="Action, e.g. user.role_changed"
          value={form.action}
          onInput={set("action")}
        />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <input aria-label="Actor" placeholder="Actor: @username or id" value={form.actor} onInput={set("actor")} />
        <input aria-label="Target" placeholder="Target: @username or id" value={form.target} onInput={set("target")} />
        <button type="submit" class="primary">
          Filter
        </button>
        {(filter.action || filter.actor_id || filter.target_id) && (
          <button
            type="button"
            onClick={() => {
              setForm({ action: "", actor: "", target: "" });
              setFilter({});
            }}
          >
            Clear
          </button>
        )}
      </form>
      <ErrorLine error={error ?? pages.error} />
      <table class="admin-table audit" aria-label="Audit log">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {(pages.items ?? []).map((e) => (
            <tr key={e.id}>
              <td class="muted nowrap">{when(e.at)}</td>
              <td>{e.actor_id ? personName(state.users[e.actor_id], e.actor_id) : <span class="muted">system</span>}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                <span class="muted">{e.target.type}</span> {targetName(e)}
              </td>
              <td class="details">
                <div class="details-list">
                  {Object.entries(e.details).map(([k, v]) => (
                    <span key={k} class="detail">
                      <span class="muted">{k.replace(/_/g, " ")}</span> <code>{typeof v === "string" ? v : JSON.stringify(v)}</code>
                    </span>
                  ))}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages.items?.length === 0 && <p class="muted">No entries match.</p>}
      <LoadMore next={pages.next} loading={pages.loading} more={pages.more} label="Load older entries" />
    </div>
  );
}
