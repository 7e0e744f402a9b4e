// The slice of oidc-provider (v9, which ships no types) that the e2e identity provider uses.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export type AnyObject = Record<string, unknown>;

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): AnyObject | Promise<AnyObject>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: {
      name: "login" | "consent" | string;
      details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    };
    params: AnyObject & { client_id: string };
    session?: { accountId: string };
    grantId?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface ResourceServerInfo {
    audience: string;
    scope?: string;
    accessTokenTTL?: number;
    accessTokenFormat: "jwt" | "opaque";
    jwt?: { sign?: { alg: string; kid?: string } };
  }

  export interface Token {
    kind: string;
    accountId?: string;
    clientId?: string;
  }

  export interface Configuration {
    clients?: AnyObject[];
    jwks?: { keys: AnyObject[] };
    findAccount?: (ctx: unknown, sub: string) => Promise<Account | undefined> | Account | undefined;
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    features?: AnyObject;
    interactions?: { url: (ctx: unknown, interaction: { uid: string }) => string };
    extraTokenClaims?: (ctx: unknown, token: Token) => Promise<AnyObject | undefined> | AnyObject | undefined;
    cookies?: { keys?: string[] };
    pkce?: { required?: () => boolean };
    ttl?: Record<string, number>;
    renderError?: (ctx: { type: string; body: unknown }, out: AnyObject, error: Error) => void | Promise<void>;
    [key: string]: unknown;
  }

  export namespace errors {
    class InvalidTarget extends Error {
      constructor(description?: string);
    }
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    Grant: {
      new (init: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: AnyObject,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
