import { log } from "../../src/lib/log";

/** Online flags are written this long after they change, together (one commit for a crowd). */
const ONLINE_WRITE_DELAY_MS = 50;

/**
 * Members to push events to: those whose session reported a socket, and new members until a push
 * finds none. Each with the generation it went online at, so a stale "no socket" answer cannot
 * take offline someone who came back since. The flags are persisted (members.online) only for the
 * next wake-up, a moment after they change and together with the others changed meanwhile.
 */
export class OnlineMembers {
  /** Member id → the generation they went online at. */
  readonly generations = new Map<string, number>();
  private generation = 0;
  /** Flags changed and not yet written, and the timer that writes them. */
  private readonly pendingWrites = new Map<string, boolean>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly transact: (body: () => void) => void,
  ) {}

  /** At wake-up: whoever was online when the object last wrote the flags. */
  load(): void {
    for (const { user_id } of this.sql.exec<{ user_id: string }>("SELECT user_id FROM members WHERE online = 1")) this.add(user_id);
  }

  has(userId: string): boolean {
    return this.generations.has(userId);
  }

  ids(): Iterable<string> {
    return this.generations.keys();
  }

  add(userId: string): void {
    this.generations.set(userId, ++this.generation);
  }

  remove(userId: string): void {
    this.generations.delete(userId);
  }

  /** A member just inserted starts online in SQL: a pending write of an older flag must not undo it. */
  written(userId: string): void {
    this.pendingWrites.delete(userId);
  }

  clear(): void {
    this.generations.clear();
    this.pendingWrites.clear();
  }

  /**
   * Persists a member's online flag a moment later, with the others that changed meanwhile: the
   * flags matter only when the object wakes again, and a reconnecting crowd then costs one write.
   */
  writeSoon(userId: string, online: boolean): void {
    this.pendingWrites.set(userId, online);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      const writes = [...this.pendingWrites];
      this.pendingWrites.clear();
      try {
        this.transact(() => {
          for (const [id, on] of writes) this.sql.exec("UPDATE members SET online = ? WHERE user_id = ?", on ? 1 : 0, id);
        });
      } catch (error) {
        log("error", "writing online flags failed", { count: writes.length, error });
      }
    }, ONLINE_WRITE_DELAY_MS);
  }
}
