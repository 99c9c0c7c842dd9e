// megalodon against a running smartnode with a member's token, beside a Fedify peer: search
// with resolve=true, follow the peer's actor (the peer accepts), listen on megalodon's user
// streaming socket while the peer follows the member and posts, then read the notifications.
// Prints one JSON report; exits non-zero on any failure.
//
//   node megalodon_social.mjs '{"origin", "token", "fedify", "handle", "member"}'

import { readFileSync } from "node:fs";
import megalodon from "megalodon";
import { brief, eventually, fedify, start, within } from "./social.mjs";

const version = JSON.parse(readFileSync(new URL("./node_modules/megalodon/package.json", import.meta.url))).version;
const { args, report, step } = start("megalodon", version);
const client = megalodon.default("mastodon", args.origin, args.token);

const found = (await client.search(args.handle, { type: "accounts", resolve: true })).data;
const peer = step("found", found.accounts.map(brief.account))[0];
step("followed", (await client.followAccount(peer.id)).data);
step("accepted", await eventually("the peer accepts the follow", async () => {
  const [relation] = (await client.getRelationships([peer.id])).data;
  return relation.following ? relation : null;
}));

const socket = await client.userStreaming();
const heard = [];
const wanted = { own: null, update: null, notification: null };
const both = new Promise((resolve, reject) => {
  socket.on("error", (error) => reject(error));
  socket.on("update", (status) => {
    heard.push("update");
    if (status.account.id === peer.id) wanted.update = status;
    if (status.content.includes(args.marker)) wanted.own = status;
    if (wanted.update && wanted.notification) resolve();
  });
  socket.on("notification", (notification) => {
    heard.push("notification");
    if (notification.account?.id === peer.id) wanted.notification = notification;
    if (wanted.update && wanted.notification) resolve();
  });
});
await within("megalodon's socket connects", new Promise((resolve) => socket.on("connect", resolve)));
await eventually("the member's own post on the user stream", async () => {
  if (!wanted.own) await client.postStatus(`${args.marker} ${Date.now()}`, { visibility: "public" });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return wanted.own;
});
step("peerFollows", await fedify(args.fedify, "/control/follow", { actor: args.member }));
step("peerPosts", await fedify(args.fedify, "/control/note", { to: args.member, content: "<p>Rehearsal moved to Thursday</p>" }));
await within("the update and the notification on the user stream", both);
socket.stop();
step("streamed", { heard, update: brief.status(wanted.update), notification: { type: wanted.notification.type, account: brief.account(wanted.notification.account) } });

const notifications = step("notifications", (await client.getNotifications({ limit: 10 })).data.map(
  (n) => ({ id: n.id, type: n.type, account: brief.account(n.account), createdAt: n.created_at })));
const follow = notifications.find((n) => n.type === "follow" && n.account.id === peer.id);
step("notification", (await client.getNotification(follow.id)).data);
step("home", (await client.getHomeTimeline({ limit: 10 })).data.map(brief.status));
process.stdout.write(JSON.stringify(report, null, 2));
process.exit(0);
