/** A page's tabs (search results, administration): links, the current one marked for assistive tech. */
export function PageTabs<T extends string>(props: { label: string; tabs: [T, string][]; current: T; href: (tab: T) => string }) {
  return (
    <nav class="page-tabs" aria-label={props.label}>
      {props.tabs.map(([t, label]) => (
        <a key={t} href={props.href(t)} class={t === props.current ? "active" : ""} aria-current={t === props.current ? "page" : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}
