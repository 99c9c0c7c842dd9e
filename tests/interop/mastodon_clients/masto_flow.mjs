// masto.js (the `masto` package) against a running smartnode, as a Mastodon app built on it
// does: register, authorization code + PKCE (S256) with the member's browser, token, then the
// app's and the instance's endpoints. Prints one JSON report; exits non-zero on any failure.
//
//   node masto_flow.mjs '{"origin": "http://127.0.0.1:PORT", "username": "…", "password": "…"}'

import { readFileSync } from "node:fs";
import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { Browser, pkcePair } from "./browser.mjs";

const { origin, username, password } = JSON.parse(process.argv[2]);
const REDIRECT = "org.example.interop:/oauth";
const SCOPES = "read write follow";
const version = JSON.parse(readFileSync(new URL("./node_modules/masto/package.json", import.meta.url))).version;

const report = { library: "masto", version, steps: [] };
const step = (name, value) => {
  report.steps.push(name);
  report[name] = value;
  return value;
};

const anonymous = createRestAPIClient({ url: origin });
const app = step("app", await anonymous.v1.apps.create({ clientName: "masto interop", redirectUris: REDIRECT, scopes: SCOPES, website: "https://example.org/interop" }));

const { verifier, challenge } = await pkcePair();
const authorize = new URL("/oauth/authorize", origin);
for (const [name, value] of Object.entries({
  response_type: "code", client_id: app.clientId, redirect_uri: REDIRECT, scope: "read write",
  state: "masto-state", code_challenge: challenge, code_challenge_method: "S256",
})) authorize.searchParams.set(name, value);
const browser = new Browser(origin);
const { code } = await browser.authorize(authorize.href, { username, password, redirectUri: REDIRECT, state: "masto-state" });
step("browser", browser.visited);

const oauth = createOAuthAPIClient({ url: origin });
const token = await oauth.token.create({
  grantType: "authorization_code", clientId: app.clientId, clientSecret: app.clientSecret,
  redirectUri: REDIRECT, code, codeVerifier: verifier,
});
step("token", { ...token, accessToken: token.accessToken ? "(secret)" : null, refreshToken: token.refreshToken ? "(secret)" : null });

const rest = createRestAPIClient({ url: origin, accessToken: token.accessToken });
step("verifyApp", await rest.v1.apps.verifyCredentials());
step("instanceV2", await rest.v2.instance.fetch());
step("instanceV1", await rest.v1.instance.fetch());
step("peers", await rest.v1.instance.peers.list());
step("customEmojis", await rest.v1.customEmojis.list());
step("preferences", await rest.v1.preferences.fetch());
step("markersSaved", await rest.v1.markers.create({ home: { lastReadId: "42" } }));
step("markers", await rest.v1.markers.fetch({ timeline: ["home", "notifications"] }));

// The member's own account, a post, reading it back in the timelines, a reply and its thread.
step("account", await rest.v1.accounts.verifyCredentials());
step("updated", await rest.v1.accounts.updateCredentials({ note: "Brass player and arranger." }));
const posted = step("posted", await rest.v1.statuses.create({ status: "Open rehearsal tonight #brass", visibility: "public", language: "en" }));
step("fetched", await rest.v1.statuses.$select(posted.id).fetch());
step("home", await rest.v1.timelines.home.list({ limit: 5 }));
step("local", await rest.v1.timelines.public.list({ local: true, limit: 5 }));
step("tag", await rest.v1.timelines.tag.$select("brass").list({ limit: 5 }));
const reply = step("reply", await rest.v1.statuses.create({ status: "Bring your mutes.", inReplyToId: posted.id, visibility: "public" }));
step("context", await rest.v1.statuses.$select(posted.id).context.fetch());
step("ownStatuses", await rest.v1.accounts.$select(posted.account.id).statuses.list({ limit: 5 }));
step("removed", await rest.v1.statuses.$select(reply.id).remove());

// A picture with its alt text, a status showing it, then a like and a bookmark of that status.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFElEQVR4nGM8oaHBgA0wYRWlkwQAppoBJCiW4EgAAAAASUVORK5CYII=";
const picture = new Blob([Buffer.from(PNG, "base64")], { type: "image/png" });
const media = step("media", await rest.v2.media.create({ file: picture, description: "A red square" }));
const pictured = step("pictured", await rest.v1.statuses.create({ status: "Poster draft", mediaIds: [media.id], visibility: "public" }));
step("favourited", await rest.v1.statuses.$select(pictured.id).favourite());
step("bookmarked", await rest.v1.statuses.$select(pictured.id).bookmark());
step("bookmarks", await rest.v1.bookmarks.list({ limit: 5 }));

// A refused call comes back as masto's error with the server's words.
try {
  await createRestAPIClient({ url: origin, accessToken: "not-a-token" }).v1.preferences.fetch();
  step("badToken", { refused: false });
} catch (error) {
  step("badToken", { refused: true, statusCode: error.statusCode, message: error.message });
}

report.app = { ...report.app, clientSecret: app.clientSecret ? "(secret)" : null };
process.stdout.write(JSON.stringify(report, null, 2));
