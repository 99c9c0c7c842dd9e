// A small Fedify federation server for the interop tests: two Person actors whose inboxes only
// run their listeners for activities Fedify itself verified (HTTP Signatures, key owner = actor).
//
// Usage: node server.mjs PORT [LIFETIME_SECONDS]
//   Serves http://127.0.0.1:PORT (loopback only). Prints one JSON line {ready, origin, fedify,
//   node} on stdout once it listens. Stops by itself after LIFETIME_SECONDS (default 300) or
//   as soon as its stdin closes.
//
// Actors: /users/fedi (answers Follows with Accept, follows others on request) and /users/other
// (the actor a forged request claims to be). Each has an RSA key (#main-key, HTTP Signatures)
// and an Ed25519 key (#key-2, Object Integrity Proofs), generated at start.
//
// Test control, outside the federation (JSON in, JSON out):
//   GET  /control/state   what the inboxes verified and what the actors hold (see state())
//   POST /control/follow  {actor}  fedi follows ACTOR (Fedify's sendActivity); the answer
//                         carries the Follow id and whether the remote inbox took it
//   POST /control/reply   {to, inReplyTo, content}  fedi sends a direct Note (Create) that
//                         replies to INREPLYTO, addressed to and mentioning the actor TO only
//   POST /control/post    {inbox, activity, sign}  POST ACTIVITY to INBOX, signed with fedi's
//                         RSA key (sign=true) or unsigned; activity.actor is sent as given,
//                         so it may claim another actor. Answers the remote {status, body}.

import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import {
  Accept,
  Announce,
  Create,
  Endpoints,
  Follow,
  Mention,
  MemoryKvStore,
  Note,
  Person,
  Undo,
  createFederation,
  generateCryptoKeyPair,
  signRequest,
} from "@fedify/fedify";

const HOST = "127.0.0.1";
const ACTORS = { fedi: "Fedi (Fedify interop)", other: "Other (Fedify interop)" };
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);
const MAX_BODY = 1 << 20;

const port = Number(process.argv[2]);
const lifetime = Number(process.argv[3] ?? 300);
if (!Number.isInteger(port) || port <= 0 || !(lifetime > 0)) {
  process.stderr.write("usage: node server.mjs PORT [LIFETIME_SECONDS]\n");
  process.exit(2);
}
const origin = `http://${HOST}:${port}`;

// --- state -------------------------------------------------------------------------------

const keys = {};
for (const name of Object.keys(ACTORS)) {
  keys[name] = [
    await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
    await generateCryptoKeyPair("Ed25519"),
  ];
}
const verified = []; // every activity an inbox listener saw: Fedify verified it first
const followers = {}; // identifier -> {followerUri: followId}
const following = {}; // followId -> {actor, target, state, acceptId}
const inboxAnswers = []; // {path, status} of every POST to an inbox, verified or not
const received = []; // verified Creates and Announces, with the object as Fedify parsed it
const errors = [];

const href = (value) => (value == null ? null : value.href);
const newId = (kind) => new URL(`/activities/${kind}/${randomUUID()}`, origin);

function remember(ctx, activity, recipient) {
  verified.push({
    id: href(activity.id),
    type: activity.constructor.name,
    actor: href(activity.actorId),
    object: href(activity.objectId),
    recipient: recipient ?? null,
  });
}

function state() {
  return { origin, verified, followers, following, inboxAnswers, received, errors };
}

// --- federation --------------------------------------------------------------------------

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!(identifier in ACTORS)) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: ACTORS[identifier],
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((pair) => pair.multikey),
      manuallyApprovesFollowers: false,
    });
  })
  .setKeyPairsDispatcher((ctx, identifier) => keys[identifier] ?? []);

federation.setFollowersDispatcher("/users/{identifier}/followers", (ctx, identifier) => {
  if (!(identifier in ACTORS)) return null;
  const items = Object.keys(followers[identifier] ?? {}).map((uri) => new URL(uri));
  return { items };
});

function localIdentifier(ctx, uri) {
  const parsed = uri == null ? null : ctx.parseUri(uri);
  return parsed?.type === "actor" && parsed.identifier in ACTORS ? parsed.identifier : null;
}

async function onFollow(ctx, follow) {
  remember(ctx, follow, ctx.recipient);
  const identifier = localIdentifier(ctx, follow.objectId);
  if (identifier == null || follow.id == null) return;
  const follower = await follow.getActor(ctx);
  if (follower == null || follower.id == null) return;
  (followers[identifier] ??= {})[follower.id.href] = follow.id.href;
  const accept = new Accept({ id: newId("accept"), actor: follow.objectId, object: follow });
  await ctx.sendActivity({ identifier }, follower, accept);
}

function onAccept(ctx, accept) {
  remember(ctx, accept, ctx.recipient);
  const sent = following[href(accept.objectId)];
  if (sent != null && sent.target === href(accept.actorId)) {
    sent.state = "accepted";
    sent.acceptId = href(accept.id);
  }
}

async function onUndo(ctx, undo) {
  remember(ctx, undo, ctx.recipient);
  const object = await undo.getObject(ctx);
  if (!(object instanceof Follow)) return;
  const identifier = localIdentifier(ctx, object.objectId);
  const mine = followers[identifier] ?? {};
  if (mine[href(undo.actorId)] === href(object.id)) delete mine[href(undo.actorId)];
}

// What a Mastodon-shaped reader would show of an object: its type, content, tags, addressing.
async function describe(ctx, activity, object) {
  const tags = [];
  if (object != null && typeof object.getTags === "function") {
    for await (const tag of object.getTags({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader, suppressError: true })) {
      tags.push({ type: tag.constructor.name, name: tag.name?.toString() ?? null, href: href(tag.href) });
    }
  }
  return {
    id: href(activity.id),
    type: activity.constructor.name,
    actor: href(activity.actorId),
    recipient: ctx.recipient ?? null,
    object: href(object?.id) ?? href(activity.objectId),
    objectType: object?.constructor.name ?? null,
    content: object?.content?.toString() ?? null,
    summary: object?.summary?.toString() ?? null,
    name: object?.name?.toString() ?? null,
    inReplyTo: href(object?.replyTargetId),
    to: (object?.toIds ?? []).map(href),
    cc: (object?.ccIds ?? []).map(href),
    tags,
  };
}

async function onCreate(ctx, create) {
  remember(ctx, create, ctx.recipient);
  received.push(await describe(ctx, create, await create.getObject(ctx)));
}

async function onAnnounce(ctx, announce) {
  remember(ctx, announce, ctx.recipient);
  received.push(await describe(ctx, announce, await announce.getObject(ctx)));
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, onFollow)
  .on(Accept, onAccept)
  .on(Undo, onUndo)
  .on(Create, onCreate)
  .on(Announce, onAnnounce)
  .onError((ctx, error) => {
    errors.push(String(error?.stack ?? error));
  });

// --- control -----------------------------------------------------------------------------

async function followActor({ actor }) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const target = await ctx.lookupObject(actor);
  if (target == null || target.id == null) return { ok: false, error: `no actor at ${actor}` };
  const follow = new Follow({ id: newId("follow"), actor: ctx.getActorUri("fedi"), object: target.id });
  following[follow.id.href] = { actor: "fedi", target: target.id.href, state: "pending" };
  try {
    await ctx.sendActivity({ identifier: "fedi" }, target, follow);
    return { ok: true, followId: follow.id.href };
  } catch (error) {
    return { ok: false, followId: follow.id.href, error: String(error) };
  }
}

async function postActivity({ inbox, activity, sign }) {
  let request = new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
    body: JSON.stringify(activity),
  });
  if (sign) {
    const [rsa] = keys.fedi;
    request = await signRequest(request, rsa.privateKey, new URL("/users/fedi#main-key", origin));
  }
  const response = await fetch(request);
  return { status: response.status, body: await response.text() };
}

// A direct message as Mastodon sends one: to the mentioned actor only, with a Mention tag.
async function replyDirect({ to, inReplyTo, content }) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const target = await ctx.lookupObject(to);
  if (target == null || target.id == null) return { ok: false, error: `no actor at ${to}` };
  const note = new Note({
    id: new URL(`/notes/${randomUUID()}`, origin),
    attribution: ctx.getActorUri("fedi"),
    content,
    replyTarget: new URL(inReplyTo),
    to: target.id,
    tags: [new Mention({ href: target.id, name: `@${target.preferredUsername}` })],
  });
  const create = new Create({ id: newId("create"), actor: ctx.getActorUri("fedi"), object: note, to: target.id });
  try {
    await ctx.sendActivity({ identifier: "fedi" }, target, create);
    return { ok: true, noteId: note.id.href, createId: create.id.href };
  } catch (error) {
    return { ok: false, noteId: note.id.href, error: String(error) };
  }
}

const CONTROL = {
  "POST /control/reply": replyDirect,
  "GET /control/state": async () => state(),
  "POST /control/follow": followActor,
  "POST /control/post": postActivity,
};

// --- http --------------------------------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toRequest(req, body) {
  // Fedify verifies signatures against request.url and the Host header: build the Request on
  // our own http origin and keep the headers as sent.
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (HOP_BY_HOP.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url, origin), {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

async function send(res, response) {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(body);
}

async function handle(req, res) {
  const body = await readBody(req);
  const path = new URL(req.url, origin).pathname;
  const control = CONTROL[`${req.method} ${path}`];
  if (control != null) {
    const input = body.length ? JSON.parse(body.toString("utf8")) : {};
    const output = await control(input);
    return send(res, Response.json(output));
  }
  const response = await federation.fetch(toRequest(req, body), { contextData: undefined });
  if (req.method === "POST" && path.endsWith("inbox")) {
    inboxAnswers.push({ path, status: response.status });
  }
  return send(res, response);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    errors.push(String(error?.stack ?? error));
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(String(error));
  });
});

function stop(why) {
  process.stderr.write(`server.mjs stopping: ${why}\n`);
  server.close();
  process.exit(0);
}

setTimeout(() => stop(`lifetime of ${lifetime} s is over`), lifetime * 1000);
process.stdin.on("end", () => stop("stdin closed"));
process.stdin.on("close", () => stop("stdin closed"));
process.stdin.resume();

server.listen(port, HOST, () => {
  const fedify = JSON.parse(
    readFileSync(new URL("./node_modules/@fedify/fedify/package.json", import.meta.url)),
  ).version;
  process.stdout.write(`${JSON.stringify({ ready: true, origin, fedify, node: process.version })}\n`);
});
