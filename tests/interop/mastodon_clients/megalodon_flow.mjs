// megalodon against a running smartnode, as a Mastodon app built on it does: registerApp (its
// default out-of-band redirect), the member's browser signs in and allows, the code shown on
// the page goes to fetchAccessToken (megalodon's own flow: a confidential client, no PKCE),
// then the app's and the instance's endpoints and a revocation (megalodon keeps no refresh
// token from a Mastodon server: it drops the field). Prints one JSON report; exits non-zero on
// any failure.
//
//   node megalodon_flow.mjs '{"origin": "http://127.0.0.1:PORT", "username": "…", "password": "…"}'

import { readFileSync } from "node:fs";
import megalodon from "megalodon";
import { Browser } from "./browser.mjs";

const generator = megalodon.default;
const { origin, username, password } = JSON.parse(process.argv[2]);
const OOB = "urn:ietf:wg:oauth:2.0:oob";
const version = JSON.parse(readFileSync(new URL("./node_modules/megalodon/package.json", import.meta.url))).version;

const report = { library: "megalodon", version, steps: [] };
const step = (name, value) => {
  report.steps.push(name);
  report[name] = value;
  return value;
};

const anonymous = generator("mastodon", origin);
const app = await anonymous.registerApp("megalodon interop", { scopes: ["read", "write", "follow", "push"] });
step("app", { clientId: app.client_id, hasSecret: Boolean(app.client_secret), redirectUri: app.redirect_uri, url: app.url });

const browser = new Browser(origin);
const { code } = await browser.authorize(app.url, { username, password, redirectUri: OOB });
step("browser", browser.visited);

const token = await anonymous.fetchAccessToken(app.client_id, app.client_secret, code, OOB);
step("token", { tokenType: token.token_type, scope: token.scope, createdAt: token.created_at, refreshKept: token.refresh_token });

const client = generator("mastodon", origin, token.access_token);
step("verifyApp", (await client.verifyAppCredentials()).data);
step("instanceV1", (await client.getInstance()).data);
step("instanceV2", (await client.client.get("/api/v2/instance")).data);
step("peers", (await client.getInstancePeers()).data);
step("customEmojis", (await client.getInstanceCustomEmojis()).data);
step("preferences", (await client.getPreferences()).data);
step("markersSaved", (await client.saveMarkers({ notifications: { last_read_id: "7" } })).data);
step("markers", (await client.getMarkers(["home", "notifications"])).data);

step("account", (await client.verifyAccountCredentials()).data);
const posted = step("posted", (await client.postStatus("Sound check at six #brass", { visibility: "public", language: "en" })).data);
step("fetched", (await client.getStatus(posted.id)).data);
step("home", (await client.getHomeTimeline({ limit: 5 })).data);
step("local", (await client.getLocalTimeline({ limit: 5 })).data);
step("tag", (await client.getTagTimeline("brass", { limit: 5 })).data);
step("context", (await client.getStatusContext(posted.id)).data);
step("deleted", (await client.deleteStatus(posted.id)).data);
try {
  await client.getStatus(posted.id);
  step("afterDelete", { found: true });
} catch (error) {
  step("afterDelete", { found: false, status: error.response?.status, body: error.response?.data });
}

await anonymous.revokeToken(app.client_id, app.client_secret, token.access_token);
try {
  await client.verifyAppCredentials();
  step("afterRevoke", { refused: false });
} catch (error) {
  step("afterRevoke", { refused: true, status: error.response?.status, body: error.response?.data });
}

process.stdout.write(JSON.stringify(report, null, 2));
