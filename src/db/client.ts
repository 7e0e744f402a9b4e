import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const handles = new WeakMap<D1Database, ReturnType<typeof open>>();

const open = (d1: D1Database) => drizzle(d1, { schema });

/**
 * The drizzle handle for a D1 binding, made once per binding and isolate: building one walks the
 * whole schema, which was about 8% of a message send's CPU when done per request.
 */
export function createDb(d1: D1Database) {
  let db = handles.get(d1);
  if (!db) {
    db = open(d1);
    handles.set(d1, db);
  }
  return db;
}

export type Database = ReturnType<typeof createDb>;
