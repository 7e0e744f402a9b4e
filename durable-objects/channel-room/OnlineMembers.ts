/**
 * Members to push events to: those whose session reported a socket, and new members until a push
 * finds none. Each with the generation it went online at, so a stale "no socket" answer cannot
 * take offline someone who came back since. The flags are persisted (members.online) for the next
 * wake-up, in the turn that changes them: the session's `setOnline` call is answered once the
 * flag is durable, so a room that restarts at any moment (a crash, a deploy, an eviction) still
 * pushes to every member whose socket it was told of.
 */
export class OnlineMembers {
  /** Member id → the generation they went online at. */
  readonly generations = new Map<string, number>();
  private generation = 0;

  constructor(private readonly sql: SqlStorage) {}

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

  clear(): void {
    this.generations.clear();
  }

  /** Persists a member's online flag (no await needed: the output gate holds answers until it is durable). */
  write(userId: string, online: boolean): void {
    this.sql.exec("UPDATE members SET online = ? WHERE user_id = ?", online ? 1 : 0, userId);
  }
}
