import type { PresenceStatus } from "../../../src/protocol/presence";
import type { UserView } from "../../../src/protocol/users";

const hue = (id: string) => {
  let h = 0;
  for (const c of id) h = (h * 31 + (c.codePointAt(0) ?? 0)) % 360;
  return h;
};

const initials = (u: UserView | undefined) =>
  (u?.display_name || u?.username || "?")
    .split(/\s+/)
    .map((w) => [...w][0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();

export function Avatar({ user, size = 36 }: { user: UserView | undefined; size?: number }) {
  return (
    <span class="avatar" aria-hidden="true" style={{ width: `${size}px`, height: `${size}px`, "--hue": String(hue(user?.id ?? "")) }}>
      {initials(user)}
    </span>
  );
}

const PRESENCE_LABEL: Record<PresenceStatus, string> = { active: "online", away: "away", dnd: "do not disturb", offline: "offline" };

export function PresenceDot({ status }: { status: PresenceStatus | undefined }) {
  const s = status ?? "offline";
  return <span class={`presence ${s}`} role="img" aria-label={PRESENCE_LABEL[s]} title={PRESENCE_LABEL[s]} />;
}
