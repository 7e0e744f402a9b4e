import { log } from "../../src/lib/log";

/**
 * The object's one alarm, set for the earliest of what is due (heartbeat checks, the end of a
 * socket's grace, presence that changes with time, an announcement held by coalescing). Its time
 * is read at wake-up, so arming it is a write in the same turn, and only when it must move earlier.
 */
export class SessionAlarm {
  /** When the alarm is set for, or null. */
  private at: number | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** The times things are due, null for nothing; `excluding` a socket going away. */
    private readonly dueTimes: (now: number, excluding?: WebSocket) => (number | null)[],
  ) {}

  /** At wake-up. */
  async load(): Promise<void> {
    this.at = await this.storage.getAlarm();
  }

  /** The alarm fired: it is no longer set. */
  fired(): void {
    this.at = null;
  }

  /** Sets the alarm for the earliest due time if it is not set that early already (a failure is logged). */
  arm(now: number, excluding?: WebSocket): void {
    this.set(now, excluding).catch((error: unknown) => log("warn", "setAlarm failed", { error }));
  }

  private async set(now: number, excluding?: WebSocket): Promise<void> {
    const due = this.dueTimes(now, excluding).filter((t): t is number => t !== null);
    // Offline, and nothing changes with time: an alarm already set fires once, finds nothing to do
    // and is not set again. Leaving it costs one wake-up; deleting it would cost a write now and
    // another when the user reconnects.
    if (due.length === 0) return;
    const at = Math.min(...due);
    const current = this.at;
    if (current === null || current > at || current < now) {
      this.at = at;
      await this.storage.setAlarm(at);
    }
  }
}
