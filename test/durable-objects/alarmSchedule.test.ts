import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ALARM_RETRY_MS, AlarmSchedule } from "../../durable-objects/shared/AlarmSchedule";
import { newId } from "../../src/lib/ids";

// The alarm multiplexer on a real Durable Object's storage: a ChannelRoom never created, whose
// migrations made the alarm_schedule table and whose own schedule is empty. Due times sit an hour
// ahead so the runtime never fires the alarm itself; `run` is driven with explicit times.

const HOUR = 3_600_000;

function inFreshStorage<R>(body: (storage: DurableObjectStorage) => Promise<R>): Promise<R> {
  return runInDurableObject(env.CHANNEL_ROOM.getByName(newId("c")), async (_, state) => {
    try {
      return await body(state.storage);
    } finally {
      await state.storage.deleteAlarm();
    }
  });
}

describe("AlarmSchedule", () => {
  it("arms the one alarm at the earliest due time; a later ask changes nothing; run does the due ones and re-arms", async () => {
    await inFreshStorage(async (storage) => {
      const t = Date.now() + HOUR;
      const ran: string[] = [];
      const tasks = {
        retention: (now: number) => {
          ran.push(`retention at +${now - t}`);
          return now + 1000;
        },
        flush: () => {
          ran.push("flush");
          return null;
        },
      };
      const schedule = new AlarmSchedule(storage, tasks);
      schedule.schedule("flush", t + 500);
      expect(await storage.getAlarm()).toBe(t + 500);
      schedule.schedule("retention", t);
      expect(await storage.getAlarm()).toBe(t);
      schedule.schedule("retention", t + 100);
      expect(schedule.dueAt("retention")).toBe(t);

      await schedule.run(t + 10);
      expect(ran).toEqual(["retention at +10"]);
      expect(schedule.dueAt("retention")).toBe(t + 1010);
      expect(await storage.getAlarm()).toBe(t + 500);

      await schedule.run(t + 600);
      expect(ran).toEqual(["retention at +10", "flush"]);
      expect(schedule.dueAt("flush")).toBeNull();
      expect(await storage.getAlarm()).toBe(t + 1010);

      // Due times are durable: another instance over the same storage (a later wake-up) reads them.
      expect(new AlarmSchedule(storage, tasks).dueAt("retention")).toBe(t + 1010);

      schedule.cancel("retention");
      expect(await storage.getAlarm()).toBeNull();
      expect(new AlarmSchedule(storage, tasks).dueAt("retention")).toBeNull();
    });
  });

  it("a task that throws is retried later while the others run; a purpose the code no longer knows is dropped", async () => {
    await inFreshStorage(async (storage) => {
      const t = Date.now() + HOUR;
      let flushed = 0;
      storage.sql.exec("INSERT INTO alarm_schedule (purpose, due_at) VALUES ('retired_purpose', ?)", t);
      const schedule = new AlarmSchedule(storage, {
        broken: (): number => {
          throw new Error("queue unavailable");
        },
        flush: () => {
          flushed++;
          return null;
        },
      });
      schedule.schedule("broken", t);
      schedule.schedule("flush", t);
      await schedule.run(t);
      expect(flushed).toBe(1);
      expect(schedule.dueAt("broken")).toBe(t + ALARM_RETRY_MS);
      expect(storage.sql.exec("SELECT purpose FROM alarm_schedule").toArray()).toEqual([{ purpose: "broken" }]);
      expect(await storage.getAlarm()).toBe(t + ALARM_RETRY_MS);
    });
  });

  it("a time asked for while the purpose's task awaits is kept, not overwritten by what the task returns", async () => {
    await inFreshStorage(async (storage) => {
      const t = Date.now() + HOUR;
      let release = () => {};
      const schedule = new AlarmSchedule(storage, {
        flush: async () => {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return null;
        },
      });
      schedule.schedule("flush", t);
      const running = schedule.run(t);
      await Promise.resolve();
      schedule.schedule("flush", t + 200);
      release();
      await running;
      expect(schedule.dueAt("flush")).toBe(t + 200);
      expect(await storage.getAlarm()).toBe(t + 200);
    });
  });

  it("load arms the alarm when due times are recorded but the alarm is missing (a migration wrote them)", async () => {
    await inFreshStorage(async (storage) => {
      const t = Date.now() + HOUR;
      storage.sql.exec("INSERT INTO alarm_schedule (purpose, due_at) VALUES ('retention', ?)", t);
      await storage.deleteAlarm();
      await new AlarmSchedule(storage, { retention: () => null }).load();
      expect(await storage.getAlarm()).toBe(t);
    });
  });

  it("inside a transaction that rolls back, the due time and the alarm roll back with it", async () => {
    await inFreshStorage(async (storage) => {
      const t = Date.now() + HOUR;
      const schedule = new AlarmSchedule(storage, { retention: () => null });
      expect(() =>
        storage.transactionSync(() => {
          schedule.schedule("retention", t);
          throw new Error("the write failed");
        }),
      ).toThrow("the write failed");
      schedule.forget();
      expect(schedule.dueAt("retention")).toBeNull();
      expect(await storage.getAlarm()).toBeNull();
    });
  });
});
