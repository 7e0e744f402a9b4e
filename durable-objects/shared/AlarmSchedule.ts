import { log } from "../../src/lib/log";

/**
 * The table an AlarmSchedule keeps its due times in: one step of the owning object's migrations.
 * Like every shipped step it never changes (runMigrations checks); a change is a new step.
 */
export const ALARM_SCHEDULE_TABLE = `
CREATE TABLE alarm_schedule (
  purpose TEXT PRIMARY KEY,
  due_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * One purpose's work, run when it is due. Returns when it is due next (epoch ms; at or before
 * `now` runs it again at once, for work left over), or null for not until someone schedules it.
 */
export type AlarmTask = (now: number) => number | null | Promise<number | null>;

/** How long a purpose whose work threw waits before it is tried again (the others still run). */
export const ALARM_RETRY_MS = 60_000;

/**
 * One Durable Object alarm shared by several purposes (say event retention, a search-index outbox
 * flush, message retention). An object has a single alarm, so each purpose records its next due
 * time in SQLite, the alarm is armed at the earliest, and `run` (from `alarm()`) does the due ones
 * and re-arms at the earliest remaining.
 *
 * Due times are read once per wake-up and kept in memory: asking for a time no earlier than the
 * one recorded (every append asking for its retention, say) costs a map lookup and no write. The
 * row and `setAlarm` are written together, so inside a transaction they commit or roll back
 * together; after a rollback call `forget`. Writes need no await: the output gate holds answers
 * until they are durable.
 */
export class AlarmSchedule<P extends string> {
  private due: Map<string, number> | undefined;
  /** Purposes whose task is running, with the earliest time asked for meanwhile (merged in after). */
  private readonly running = new Map<string, number | null>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly tasks: Readonly<Record<P, AlarmTask>>,
  ) {}

  /**
   * At wake-up (in blockConcurrencyWhile): arms the alarm if it is missing or later than the
   * earliest due time, as after a migration that recorded due times, or a lost write.
   */
  async load(): Promise<void> {
    const earliest = this.earliest();
    if (earliest === null) return;
    const armed = await this.storage.getAlarm();
    if (armed === null || armed > earliest) await this.storage.setAlarm(earliest);
  }

  /** When `purpose` is due, or null when it is not scheduled. */
  dueAt(purpose: P): number | null {
    return this.dueTimes().get(purpose) ?? null;
  }

  /** Asks for `purpose` to run at `at` or sooner: the earlier of this and its recorded time stands. */
  schedule(purpose: P, at: number): void {
    if (this.running.has(purpose)) {
      const asked = this.running.get(purpose) ?? null;
      if (asked === null || at < asked) this.running.set(purpose, at);
      return;
    }
    const current = this.dueTimes().get(purpose);
    if (current !== undefined && current <= at) return;
    this.set(purpose, at);
  }

  /** Takes `purpose` off the schedule (while its task runs, what the task returns stands). */
  cancel(purpose: P): void {
    if (this.running.has(purpose)) return;
    if (!this.dueTimes().has(purpose)) return;
    this.set(purpose, null);
  }

  /** Drops the in-memory copy: the next use reads the rows again (after a rolled-back transaction). */
  forget(): void {
    this.due = undefined;
  }

  /**
   * Runs every purpose due by `now`, one after another, each recording its next time (the earlier
   * of what its task returns and what was asked for while it ran, so work enqueued during an
   * awaited flush is not lost); a purpose this code no longer knows is dropped. Then arms the
   * alarm at the earliest time remaining.
   */
  async run(now = Date.now()): Promise<void> {
    for (const [purpose, at] of [...this.dueTimes()]) {
      if (at > now || this.running.has(purpose)) continue;
      const task = Object.hasOwn(this.tasks, purpose) ? this.tasks[purpose as P] : undefined;
      let next: number | null = null;
      this.running.set(purpose, null);
      try {
        if (task) next = await task(now);
      } catch (error) {
        log("error", "alarm task failed", { purpose, error });
        next = now + ALARM_RETRY_MS;
      }
      const asked = this.running.get(purpose) ?? null;
      this.running.delete(purpose);
      this.write(purpose, asked !== null && (next === null || asked < next) ? asked : next);
    }
    this.arm();
  }

  private dueTimes(): Map<string, number> {
    this.due ??= new Map(
      this.storage.sql
        .exec<{ purpose: string; due_at: number }>("SELECT purpose, due_at FROM alarm_schedule")
        .toArray()
        .map((r) => [r.purpose, r.due_at]),
    );
    return this.due;
  }

  private earliest(): number | null {
    let min: number | null = null;
    for (const at of this.dueTimes().values()) if (min === null || at < min) min = at;
    return min;
  }

  /** Records a due time and re-arms if the earliest moved. */
  private set(purpose: string, at: number | null): void {
    const before = this.earliest();
    this.write(purpose, at);
    if (this.earliest() !== before) this.arm();
  }

  private write(purpose: string, at: number | null): void {
    const due = this.dueTimes();
    if (at === null) {
      if (!due.has(purpose)) return;
      this.storage.sql.exec("DELETE FROM alarm_schedule WHERE purpose = ?", purpose);
      due.delete(purpose);
    } else if (due.get(purpose) !== at) {
      this.storage.sql.exec(
        "INSERT INTO alarm_schedule (purpose, due_at) VALUES (?, ?) ON CONFLICT (purpose) DO UPDATE SET due_at = excluded.due_at",
        purpose,
        at,
      );
      due.set(purpose, at);
    }
  }

  private arm(): void {
    const earliest = this.earliest();
    void (earliest === null ? this.storage.deleteAlarm() : this.storage.setAlarm(earliest));
  }
}
