// masto.js against a running smartnode with a member's token, beside a Fedify peer: find the
// peer's actor with /api/v2/search?resolve=true, follow it (the peer accepts), listen on the
// user stream with masto's createStreamingAPIClient while the peer follows the member and
// posts, then read the notifications. Prints one JSON report; exits non-zero on any failure.
//
//   node masto_social.mjs '{"origin", "token", "fedify", "handle", "member"}'

import { readFileSync } from "node:fs";
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import { brief, eventually, fedify, start, within } from "./social.mjs";

const version = JSON.parse(readFileSync(new URL("./node_modules/masto/package.json", import.meta.url))).version;
const { args, report, step } = start("masto", version);
const rest = createRestAPIClient({ url: args.origin, accessToken: args.token });

const found = await rest.v2.search.list({ q: args.handle, resolve: true, type: "accounts" });
const peer = step("found", found.accounts.map(brief.account))[0];
step("followed", await rest.v1.accounts.$select(peer.id).follow());
step("accepted", await eventually("the peer accepts the follow", async () => {
  const [relation] = await rest.v1.accounts.relationships.fetch({ id: [peer.id] });
  return relation.following ? relation : null;
}));

const instance = await rest.v2.instance.fetch();
const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming, accessToken: args.token, retry: false,
});
const subscription = streaming.user.subscribe();
const heard = [];
const wanted = { own: null, update: null, notification: null };
const listening = (async () => {
  for await (const event of subscription) {
    heard.push(event.event);
    if (event.event === "update" && event.payload.account.id === peer.id) wanted.update = event.payload;
    if (event.event === "update" && event.payload.content.includes(args.marker)) wanted.own = event.payload;
    if (event.event === "notification" && event.payload.account.id === peer.id) wanted.notification = event.payload;
    if (wanted.update && wanted.notification) break;
  }
})();
// The socket is live once the member's own post comes back on it (retried: the subscription
// is sent when the socket opens, and Mastodon acknowledges none).
await eventually("the member's own post on the user stream", async () => {
  if (!wanted.own) await rest.v1.statuses.create({ status: `${args.marker} ${Date.now()}`, visibility: "public" });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return wanted.own;
});
step("peerFollows", await fedify(args.fedify, "/control/follow", { actor: args.member }));
step("peerPosts", await fedify(args.fedify, "/control/note", { to: args.member, content: "<p>Rehearsal moved to Thursday</p>" }));
await within("the update and the notification on the user stream", listening);
subscription.unsubscribe();
streaming.close();
step("streamed", { heard, update: brief.status(wanted.update), notification: { type: wanted.notification.type, account: brief.account(wanted.notification.account) } });

const notifications = step("notifications", (await rest.v1.notifications.list({ limit: 10 })).map(
  (n) => ({ id: n.id, type: n.type, account: brief.account(n.account), createdAt: n.createdAt })));
const follow = notifications.find((n) => n.type === "follow" && n.account.id === peer.id);
step("notification", await rest.v1.notifications.$select(follow.id).fetch());
step("home", (await rest.v1.timelines.home.list({ limit: 10 })).map(brief.status));
process.stdout.write(JSON.stringify(report, null, 2));
process.exit(0);
