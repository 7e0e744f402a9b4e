import { useEffect, useRef, useState } from "preact/hooks";
import type { Channel, FileHit, FileInfo, MessageHit } from "../../../client/index.ts";
import { useColink, useStoreState } from "../context.ts";
import { highlightPieces } from "../highlight.ts";
import { channelTitle, clock, day, personName } from "../names.ts";
import { go, type Route, routeHash, type SearchTab } from "../route.ts";
import { formatSize, STATUS_TEXT } from "../uploads.ts";
import { Avatar } from "./Avatar.tsx";
import { download } from "./Files.tsx";
import { ErrorLine, problemText } from "./forms.tsx";
import { FileIcon, ImageIcon } from "./Icons.tsx";
import { PageTabs } from "./PageTabs.tsx";

// Search (API.md "Search"): the top bar's box, and the results page with a tab each for
// messages, files and channels. Matches are marked with <mark> elements built from the
// server's offsets: the text stays text, never HTML.

export const OPERATORS: [string, string][] = [
  ["from:@", "from a person"],
  ["in:#", "in a channel"],
  ["has:file", "with files"],
  ["has:link", "with links"],
  ["is:thread", "in threads"],
  ["before:", "before a day (YYYY-MM-DD)"],
  ["after:", "after a day"],
  ["on:", "on a day"],
  ['"', '"an exact phrase"'],
  ["-", "-leave out a word"],
];

/** `text` with the server's matched spans wrapped in <mark> elements (text nodes otherwise, never HTML). */
export function Highlighted({ text, highlights }: { text: string; highlights: { start: number; end: number }[] }) {
  return <>{highlightPieces(text, highlights).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : p.text))}</>;
}

/** The box in the top bar: Enter opens the results; the operators are a click away. */
export function SearchBox({ route }: { route: Route }) {
  const current = route.view === "search" ? route.q : "";
  const [q, setQ] = useState(current);
  const [help, setHelp] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setQ(current), [current]);
  const tab: SearchTab = route.view === "search" ? route.tab : "messages";
  return (
    <search>
      <form
        class="search-box"
        onSubmit={(e) => {
          e.preventDefault();
          setHelp(false);
          if (q.trim()) go({ view: "search", tab, q: q.trim() });
        }}
      >
        <span class="search-icon" aria-hidden="true">
          ⌕
        </span>
        <input
          ref={input}
          type="search"
          aria-label="Search"
          placeholder="Search messages, files and channels"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onFocus={() => setHelp(true)}
          onBlur={() => setTimeout(() => setHelp(false), 150)}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              setHelp(false);
              e.currentTarget.blur();
            }
          }}
        />
        {help && (
          <div class="search-help" role="note">
            <strong>Narrow it down</strong>
            <ul>
              {OPERATORS.map(([op, what]) => (
                <li key={op}>
                  <button
                    type="button"
                    class="link"
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => {
                      setQ((v) => `${v && !v.endsWith(" ") ? `${v} ` : v}${op}`);
                      input.current?.focus();
                    }}
                  >
                    <code class="op">{op}</code>
                  </button>{" "}
                  <span class="muted">{what}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </form>
    </search>
  );
}

type Results<T> = { items: T[]; next: string | null; loading: boolean; error: string | null };
const empty = <T,>(): Results<T> => ({ items: [], next: null, loading: true, error: null });

function usePaged<T>(load: (cursor?: string) => Promise<{ items: T[]; next_cursor: string | null }>, deps: unknown[]) {
  const [res, setRes] = useState<Results<T>>(empty);
  const run = useRef(0);
  const fetchPage = async (cursor?: string) => {
    const mine = ++run.current;
    setRes((r) => ({ ...(cursor ? r : empty<T>()), loading: true, error: null }));
    try {
      const page = await load(cursor);
      if (mine === run.current)
        setRes((r) => ({ items: cursor ? [...r.items, ...page.items] : page.items, next: page.next_cursor, loading: false, error: null }));
    } catch (e) {
      if (mine === run.current) setRes((r) => ({ ...r, loading: false, error: problemText(e) }));
    }
  };
  useEffect(() => {
    void fetchPage();
  }, deps);
  return { ...res, more: () => res.next && void fetchPage(res.next) };
}

export function SearchPage({ tab, q }: { tab: SearchTab; q: string }) {
  const TABS: [SearchTab, string][] = [
    ["messages", "Messages"],
    ["files", "Files"],
    ["channels", "Channels"],
  ];
  return (
    <section class="page search-page" aria-labelledby="search-title">
      <header class="channel-head">
        <div class="title">
          <h1 id="search-title">Search</h1>
          <p class="topic">
            Results for <q>{q}</q>
          </p>
        </div>
      </header>
      <PageTabs label="Search results" tabs={TABS} current={tab} href={(t) => routeHash({ view: "search", tab: t, q })} />
      <div class="page-body">
        {!q ? (
          <p class="muted">Type words in the search box above.</p>
        ) : tab === "messages" ? (
          <MessageResults q={q} />
        ) : tab === "files" ? (
          <FileResults q={q} />
        ) : (
          <ChannelResults q={q} />
        )}
      </div>
    </section>
  );
}

function MoreButton(props: { next: string | null; loading: boolean; more: () => void }) {
  if (props.loading) return <p class="loading">Searching…</p>;
  if (!props.next) return null;
  return (
    <button type="button" class="more" onClick={props.more}>
      Load more results
    </button>
  );
}

function MessageResults({ q }: { q: string }) {
  const colink = useColink();
  const state = useStoreState();
  const [sort, setSort] = useState<"relevance" | "recent">("relevance");
  const res = usePaged<MessageHit>((cursor) => colink.api.searchMessages({ q, sort, cursor, limit: 20 }), [q, sort]);
  // Authors not loaded yet are fetched once.
  useEffect(() => {
    colink.store.ensureUsers(res.items.map((h) => h.message.author_id));
  }, [res.items.length]);
  const channelName = (id: string) => {
    const v = state.channels[id];
    return v
      ? v.channel.kind === "public" || v.channel.kind === "private"
        ? `#${channelTitle(state, v)}`
        : channelTitle(state, v)
      : "a channel";
  };
  return (
    <>
      <div class="result-tools">
        <label>
          Sort{" "}
          <select value={sort} onChange={(e) => setSort(e.currentTarget.value as "relevance" | "recent")}>
            <option value="relevance">Most relevant</option>
            <option value="recent">Newest first</option>
          </select>
        </label>
      </div>
      <ErrorLine error={res.error} />
      {!res.loading && !res.error && res.items.length === 0 && <NoResults what="messages" />}
      <ol class="results" aria-label="Message results">
        {res.items.map((h) => {
          const m = h.message;
          const author = state.users[m.author_id];
          const inThread = m.thread_root_id !== null;
          return (
            <li key={m.id}>
              <a
                class="result"
                href={routeHash({
                  view: "channel",
                  channelId: h.channel_id,
                  threadId: inThread ? m.thread_root_id : null,
                  messageId: inThread ? m.thread_root_id : m.id,
                })}
              >
                <Avatar user={author} size={32} />
                <span class="result-body">
                  <span class="result-head">
                    <strong>{personName(author)}</strong>
                    <span class="muted">
                      {channelName(h.channel_id)}
                      {inThread ? " · in a thread" : ""} · {day(m.created_at)} {clock(m.created_at)}
                    </span>
                  </span>
                  <span class="result-text">
                    <Highlighted text={m.text} highlights={h.highlights} />
                  </span>
                  {m.files.length > 0 && <span class="muted">Files: {m.files.map((f) => f.filename).join(", ")}</span>}
                </span>
              </a>
            </li>
          );
        })}
      </ol>
      <MoreButton next={res.next} loading={res.loading} more={res.more} />
    </>
  );
}

function FileResults({ q }: { q: string }) {
  const colink = useColink();
  const state = useStoreState();
  const res = usePaged<FileHit>((cursor) => colink.api.searchFiles({ q, cursor, limit: 20 }), [q]);
  useEffect(() => {
    colink.store.ensureUsers(res.items.map((h) => h.file.uploaded_by));
  }, [res.items.length]);
  const [error, setError] = useState<string | null>(null);
  const save = async (file: FileInfo) => {
    setError(null);
    try {
      await download(colink, file);
    } catch (e) {
      setError(problemText(e));
    }
  };
  return (
    <>
      <ErrorLine error={res.error ?? error} />
      {!res.loading && !res.error && res.items.length === 0 && <NoResults what="files" />}
      <ol class="results" aria-label="File results">
        {res.items.map(({ file, highlights }) => (
          <li key={file.id} class="result file-result">
            <span class="file-icon" aria-hidden="true">
              {file.content_type.startsWith("image/") ? <ImageIcon /> : <FileIcon />}
            </span>
            <span class="result-body">
              <span class="result-text">
                <Highlighted text={file.filename} highlights={highlights} />
              </span>
              <span class="muted">
                {formatSize(file.size)} · {personName(state.users[file.uploaded_by])} · {day(file.created_at)}
                {file.status !== "clean" ? ` · ${STATUS_TEXT[file.status]}` : ""}
              </span>
            </span>
            {file.status === "clean" && (
              <button type="button" onClick={() => void save(file)} aria-label={`Download ${file.filename}`}>
                Download
              </button>
            )}
          </li>
        ))}
      </ol>
      <MoreButton next={res.next} loading={res.loading} more={res.more} />
    </>
  );
}

function ChannelResults({ q }: { q: string }) {
  const colink = useColink();
  const state = useStoreState();
  const res = usePaged<Channel>((cursor) => colink.api.searchChannels({ q, cursor, limit: 20 }), [q]);
  return (
    <>
      <ErrorLine error={res.error} />
      {!res.loading && !res.error && res.items.length === 0 && <NoResults what="channels" />}
      <ol class="results" aria-label="Channel results">
        {res.items.map((c) => (
          <li key={c.id}>
            <a class="result" href={routeHash({ view: "channel", channelId: c.id, threadId: null })}>
              <span class="file-icon" aria-hidden="true">
                {c.kind === "private" ? "🔒" : "#"}
              </span>
              <span class="result-body">
                <strong>{c.name}</strong>
                <span class="muted">
                  {c.member_count} {c.member_count === 1 ? "member" : "members"}
                  {state.channels[c.id] ? " · joined" : ""}
                  {c.topic ? ` · ${c.topic}` : ""}
                </span>
              </span>
            </a>
          </li>
        ))}
      </ol>
      <MoreButton next={res.next} loading={res.loading} more={res.more} />
    </>
  );
}

function NoResults({ what }: { what: string }) {
  return (
    <div class="no-results">
      <p>No {what} found.</p>
      <p class="muted">
        Try fewer words, or the operators: <code class="op">from:@name</code> <code class="op">in:#channel</code>{" "}
        <code class="op">has:file</code> <code class="op">has:link</code> <code class="op">is:thread</code>{" "}
        <code class="op">before:2026-01-31</code> <code class="op">after:</code> <code class="op">on:</code>{" "}
        <code class="op">"a phrase"</code> <code class="op">-word</code>
      </p>
    </div>
  );
}
