// A real OpenID Connect provider (npm `oidc-provider`, a certified implementation) on
// loopback, for the sign-in tests: one confidential client that must use PKCE, and an
// account store of a few people with their `groups` claims. Its built-in development
// login form accepts any password: the people are named by the login alone.
//
//   node tests/web/oidc_provider.mjs PORT CLIENT_SECRET REDIRECT_URI...
//
// Prints "listening" once it answers; stops on SIGTERM.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web-assets", "package.json"));
const { default: Provider } = await import(require.resolve("oidc-provider"));

const [port, clientSecret, ...redirectUris] = process.argv.slice(2);
if (!port || !clientSecret || redirectUris.length === 0) {
  console.error("usage: node oidc_provider.mjs PORT CLIENT_SECRET REDIRECT_URI...");
  process.exit(2);
}

const PEOPLE = {
  lou: { name: "Lou Officer", email: "lou@leeds.example", groups: ["accord-requester"] },
  lena: { name: "Lena Dpo", email: "lena@leeds.example", groups: ["accord-dpo", "staff"] },
  newbie: { name: "New Person", email: "newbie@leeds.example", groups: ["accord-requester"] },
  // Names a DWP person: a provider bound to Leeds must not sign them in.
  "dwp.dpo": { name: "Dev Patel", email: "dev@dwp.example", groups: ["accord-dpo"] },
  nobody: { name: "No Roles", email: "nobody@leeds.example", groups: ["staff"] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: "accord",
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ["sub"],
    email: ["email"],
    profile: ["name"],
    groups: ["groups"],
  },
  scopes: ["openid", "email", "profile", "groups"],
  // The claims asked for by scope go into the ID token itself, where Accord reads them.
  conformIdTokenClaims: false,
  cookies: { keys: ["accord-test-provider-cookie-key"] },
  async findAccount(_ctx, id) {
    if (!Object.hasOwn(PEOPLE, id)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...PEOPLE[id] }) };
  },
});

const server = provider.listen(Number(port), "127.0.0.1", () => {
  console.log("listening");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
