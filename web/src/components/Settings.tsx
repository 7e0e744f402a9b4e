import { useEffect, useState } from "preact/hooks";
import type { LoginSession } from "../../../client/index.ts";
import { useColink, useStoreState } from "../context.ts";
import { type Route, routeHash } from "../route.ts";
import { ErrorLine, Field, problemText } from "./forms.tsx";

type Tab = Extract<Route, { view: "settings" }>["tab"];
const TABS: [Tab, string][] = [
  ["profile", "Profile"],
  ["password", "Password"],
  ["sessions", "Sessions"],
];

export function Settings(props: { tab: Tab; onSignOut: () => void }) {
  return (
    <section class="settings" aria-labelledby="settings-title">
      <header class="channel-head">
        <h1 id="settings-title">Settings</h1>
      </header>
      <div class="settings-body">
        <nav class="tabs" aria-label="Settings">
          {TABS.map(([tab, label]) => (
            <a
              key={tab}
              href={routeHash({ view: "settings", tab })}
              class={props.tab === tab ? "active" : ""}
              aria-current={props.tab === tab ? "page" : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <div class="tab-body">
          {props.tab === "profile" && <Profile />}
          {props.tab === "password" && <Password />}
          {props.tab === "sessions" && <Sessions onSignOut={props.onSignOut} />}
        </div>
      </div>
    </section>
  );
}

function Profile() {
  const colink = useColink();
  const { me } = useStoreState();
  const [form, setForm] = useState({
    display_name: me?.display_name ?? "",
    title: me?.title ?? "",
    timezone: me?.timezone ?? "",
    status_text: me?.status_text ?? "",
    status_emoji: me?.status_emoji ?? "",
  });
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement }) => {
    setSaved(false);
    setForm({ ...form, [k]: e.currentTarget.value });
  };
  return (
    <form
      class="stack narrow"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await colink.api.updateMe(form);
          setSaved(true);
        } catch (err) {
          setError(problemText(err));
        }
      }}
    >
      <h2>Profile</h2>
      <p class="muted">
        Signed in as <strong>@{me?.username}</strong>
        {me?.email ? ` (${me.email})` : ""} · {me?.role}
      </p>
      <Field label="Display name">
        <input value={form.display_name} onInput={set("display_name")} />
      </Field>
      <Field label="Title">
        <input value={form.title} onInput={set("title")} placeholder="e.g. Engineer" />
      </Field>
      <Field label="Time zone">
        <input value={form.timezone} onInput={set("timezone")} placeholder={Intl.DateTimeFormat().resolvedOptions().timeZone} />
      </Field>
      <Field label="Status">
        <input value={form.status_text} onInput={set("status_text")} placeholder="e.g. In a meeting" />
      </Field>
      <Field label="Status emoji">
        <input value={form.status_emoji} onInput={set("status_emoji")} placeholder="e.g. 📅" />
      </Field>
      <ErrorLine error={error} />
      <div class="row-end">
        {saved && (
          <span class="ok" role="status">
            Saved
          </span>
        )}
        <button type="submit" class="primary">
          Save profile
        </button>
      </div>
    </form>
  );
}

function Password() {
  const colink = useColink();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="stack narrow"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setDone(false);
        try {
          await colink.api.changePassword(current, next);
          setCurrent("");
          setNext("");
          setDone(true);
        } catch (err) {
          setError(problemText(err));
        }
      }}
    >
      <h2>Change password</h2>
      <p class="muted">Every other session of yours ends; this one stays signed in.</p>
      <Field label="Current password">
        <input
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </Field>
      <Field label="New password" hint="At least 8 characters">
        <input
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </Field>
      <ErrorLine error={error} />
      <div class="row-end">
        {done && (
          <span class="ok" role="status">
            Password changed
          </span>
        )}
        <button type="submit" class="primary">
          Change password
        </button>
      </div>
    </form>
  );
}

/** A device a person recognises, from its user agent ("Chrome on Linux"), or the agent itself. */
export function describeAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : null;
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux|X11/.test(ua)
            ? "Linux"
            : null;
  if (browser) return os ? `${browser} on ${os}` : browser;
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}

function Sessions(props: { onSignOut: () => void }) {
  const colink = useColink();
  const [items, setItems] = useState<LoginSession[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    colink.api
      .sessions()
      .then((r) => setItems(r.items))
      .catch((e: unknown) => setError(problemText(e)));
  useEffect(() => void load(), []);
  const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");
  return (
    <div class="stack">
      <h2>Sessions</h2>
      <p class="muted">Where you are signed in. Ending a session signs that device out at once.</p>
      <ErrorLine error={error} />
      {!items && !error && <p class="muted">Loading…</p>}
      <ul class="sessions">
        {items?.map((s) => (
          <li key={s.id}>
            <div>
              <strong title={s.user_agent ?? undefined}>{describeAgent(s.user_agent)}</strong>
              {s.current && <span class="badge current">this device</span>}
              <small>
                Signed in {when(s.created_at)} · last used {when(s.last_used_at)}
              </small>
            </div>
            {!s.current && (
              <button
                type="button"
                onClick={async () => {
                  try {
                    await colink.api.endSession(s.id);
                    await load();
                  } catch (e) {
                    setError(problemText(e));
                  }
                }}
              >
                End session
              </button>
            )}
          </li>
        ))}
      </ul>
      <div class="row-end">
        <button
          type="button"
          class="danger"
          onClick={async () => {
            await colink.api.logoutAll().catch(() => {});
            props.onSignOut();
          }}
        >
          Sign out everywhere
        </button>
      </div>
    </div>
  );
}
