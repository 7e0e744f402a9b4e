import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { Colink, StoreState } from "../../client/index.ts";

export const ColinkContext = createContext<Colink | null>(null);

export function useColink(): Colink {
  const colink = useContext(ColinkContext);
  if (!colink) throw new Error("no Colink client in context");
  return colink;
}

/** The store's state, re-rendering on every change (the store batches them per microtask). */
export function useStoreState(): StoreState {
  const colink = useColink();
  const [state, setState] = useState(colink.store.state);
  useEffect(() => {
    setState(colink.store.state);
    return colink.store.subscribe(setState);
  }, [colink]);
  return state;
}
