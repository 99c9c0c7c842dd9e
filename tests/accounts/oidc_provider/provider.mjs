// A real OpenID Connect provider (panva/oidc-provider) for the sign-in tests.
//
// Usage: node provider.mjs CONFIG.json [LIFETIME_SECONDS]
//   Serves http://127.0.0.1:PORT on a port the system picks (loopback only) and prints one
//   JSON line {ready, issuer} on stdout once it listens. Stops by itself after
//   LIFETIME_SECONDS (default 300) or as soon as its stdin closes.
//
// CONFIG: {"clients": [client metadata as oidc-provider takes it],
//          "accounts": {"LOGIN": {claims: email, email_verified, preferred_username, name}}}
//
// Signing in is the provider's own development interactions, plain HTML forms: a login form
// (any password; the login names the account) and then a consent form. The claims of the
// scopes `email` and `profile` are served by the userinfo endpoint; the ID token carries
// `sub`, `nonce` and the protocol claims only (the provider's conformIdTokenClaims default).

import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [configPath, lifetimeArg] = process.argv.slice(2);
if (!configPath) {
  process.stderr.write("usage: node provider.mjs CONFIG.json [LIFETIME_SECONDS]\n");
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, "utf8"));
const lifetime = Number(lifetimeArg ?? 300);

async function findAccount(ctx, id) {
  const claims = config.accounts[id];
  if (!claims) return undefined;
  return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
}

let handle = (req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = createServer((req, res) => handle(req, res));

function stop(reason) {
  process.stderr.write(`provider.mjs stops: ${reason}\n`);
  server.close();
  process.exit(0);
}

server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    findAccount,
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"],
    },
    cookies: { keys: ["smartnode-tests-only"] },
    features: { devInteractions: { enabled: true } },
  });
  handle = provider.callback();
  process.stdout.write(`${JSON.stringify({ ready: true, issuer })}\n`);
});

setTimeout(() => stop(`lifetime of ${lifetime} s is over`), lifetime * 1000).unref();
process.stdin.on("end", () => stop("stdin closed"));
process.stdin.on("close", () => stop("stdin closed"));
process.stdin.resume();
