import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AuthConfig } from "../../../src/protocol/auth";
import { authConfig, createColink, persistSession, restoreSession } from "../auth.ts";
import { ColinkContext } from "../context.ts";
import { go, useRoute } from "../route.ts";
import { Register } from "./Register.tsx";
import { Shell } from "./Shell.tsx";
import { SignIn } from "./SignIn.tsx";

type Phase = { name: "starting" } | { name: "signed-out"; notice: string | null } | { name: "connecting" } | { name: "signed-in" };

export function App() {
  const colink = useMemo(createColink, []);
  const route = useRoute();
  const [config, setConfig] = useState<AuthConfig>({ open_signup: false, oidc: null });
  const [phase, setPhase] = useState<Phase>({ name: "starting" });
  const unpersist = useRef<(() => void) | null>(null);

  const enter = async (kind: "colink" | "oidc") => {
    unpersist.current?.();
    unpersist.current = persistSession(colink, kind);
    setPhase({ name: "connecting" });
    await colink.start();
    setPhase({ name: "signed-in" });
  };

  const signedOut = (notice: string | null) => {
    unpersist.current?.();
    unpersist.current = null;
    void colink.logout();
    setPhase({ name: "signed-out", notice });
  };

  useEffect(() => {
    const off = colink.onStatus((s) => {
      if (s === "signed_out") signedOut("Your session ended. Sign in again.");
      if (s === "deactivated") signedOut("This account has been deactivated.");
    });
    (async () => {
      const cfg = await authConfig(colink);
      setConfig(cfg);
      let restored: Awaited<ReturnType<typeof restoreSession>> = null;
      try {
        restored = await restoreSession(colink, cfg);
      } catch (error) {
        setPhase({ name: "signed-out", notice: error instanceof Error ? error.message : String(error) });
        return;
      }
      if (restored) await enter(restored.kind);
      else setPhase({ name: "signed-out", notice: null });
    })();
    return off;
  }, [colink]);

  let body: preact.ComponentChildren;
  if (phase.name === "starting" || phase.name === "connecting") {
    body = (
      <div class="splash" role="status">
        <div class="logo" aria-hidden="true" />
        {phase.name === "starting" ? "Loading…" : "Connecting…"}
      </div>
    );
  } else if (phase.name === "signed-out") {
    body =
      route.view === "register" ? (
        <Register
          invite={route.invite}
          openSignup={config.open_signup}
          onDone={() => {
            go({ view: "home" });
            void enter("colink");
          }}
        />
      ) : (
        <SignIn config={config} notice={phase.notice} onDone={() => void enter("colink")} />
      );
  } else {
    body = <Shell route={route} onSignOut={() => signedOut(null)} />;
  }
  return <ColinkContext.Provider value={colink}>{body}</ColinkContext.Provider>;
}
