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
//   POST /control/note    {to, content}  fedi publishes a public Note (to Public, cc its
//                         followers) and sends Create{Note} to actor TO, as a Mastodon post
//                         reaches a follower's server
//   POST /control/post    {inbox, activity, sign}  POST ACTIVITY to INBOX, signed with fedi's
//                         RSA key (sign=true) or unsigned; activity.actor is sent as given,
//                         so it may claim another actor. Answers the remote {status, body}.
//
// Events (Mobilizon's participation model: Join{Event}, Accept/Reject{Join}, Leave{Event}):
//   POST /control/lookup  {uri}  what Fedify makes of an object fetched fresh (no cache): the
//                         parsed object, and the Mobilizon/schema.org terms of its JSON-LD
//                         expansion ({term IRI: [values]})
//   POST /control/join    {event, actor}  ACTOR (fedi or other) looks the Event up and sends
//                         Join{event id} to its attributedTo; Accept/Reject of it land in joins
//   POST /control/leave   {event, actor}  the same with Leave{event id}
//   POST /control/event   {to, name, content, startTime, endTime}  fedi publishes a public
//                         Event (served at /events/{id}) and sends Create{Event} to actor TO
//   POST /control/answer  {join, accept, content}  fedi answers a Join its inbox verified with
//                         Accept or Reject (CONTENT: why) embedding that Join, to the joiner

import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import {
  Accept,
  Announce,
  Create,
  Endpoints,
  Event,
  Follow,
  Join,
  Leave,
  Mention,
  MemoryKvStore,
  Note,
  PUBLIC_COLLECTION,
  Person,
  Reject,
  Undo,
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  signRequest,
} from "@fedify/fedify";
// Fedify's own dependencies (package-lock pins them): the JSON-LD processor its vocabulary
// parses with, and the Temporal polyfill its date-time properties are typed with.
import jsonld from "jsonld";
import { Temporal } from "@js-temporal/polyfill";

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
const joins = {}; // Join id -> {actor, event, target, state, answer} of a Join fedi/other sent
const joinsReceived = {}; // Join id -> {joiner, event, recipient} of a verified incoming Join
const joinObjects = {}; // Join id -> the verified Join itself (embedded in our answer)
const leaves = []; // {id, actor, object} of every verified Leave
const events = {}; // id -> Event fedi published (served at /events/{id})

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
  return {
    origin, verified, followers, following, inboxAnswers, received, errors,
    joins, joinsReceived, leaves,
  };
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

async function onAccept(ctx, accept) {
  remember(ctx, accept, ctx.recipient);
  const sent = following[href(accept.objectId)];
  if (sent != null && sent.target === href(accept.actorId)) {
    sent.state = "accepted";
    sent.acceptId = href(accept.id);
  }
  await answerJoin(ctx, accept, "accepted");
}

// An Accept or Reject of a Join fedi/other sent: recorded with the Join as Fedify parsed it.
async function answerJoin(ctx, answer, state) {
  const sent = joins[href(answer.objectId)];
  if (sent == null) return;
  const join = await answer.getObject(ctx);
  sent.state = state;
  sent.answer = {
    id: href(answer.id),
    type: answer.constructor.name,
    actor: href(answer.actorId),
    recipient: ctx.recipient ?? null,
    content: answer.content?.toString() ?? null,
    to: answer.toIds.map(href),
    object: join == null ? null : {
      id: href(join.id),
      type: join.constructor.name,
      actor: href(join.actorId),
      object: href(join.objectId),
    },
  };
}

async function onReject(ctx, reject) {
  remember(ctx, reject, ctx.recipient);
  await answerJoin(ctx, reject, "rejected");
}

async function onJoin(ctx, join) {
  remember(ctx, join, ctx.recipient);
  if (join.id == null) return;
  joinObjects[join.id.href] = join;
  joinsReceived[join.id.href] = {
    joiner: href(join.actorId), event: href(join.objectId), recipient: ctx.recipient ?? null,
    to: join.toIds.map(href),
    // As received (Fedify keeps the document it parsed): participationMessage is no AS2 term.
    terms: await extensionTerms(ctx, await join.toJsonLd()),
  };
}

function onLeave(ctx, leave) {
  remember(ctx, leave, ctx.recipient);
  leaves.push({ id: href(leave.id), actor: href(leave.actorId), object: href(leave.objectId) });
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
  .on(Reject, onReject)
  .on(Join, onJoin)
  .on(Leave, onLeave)
  .onError((ctx, error) => {
    errors.push(String(error?.stack ?? error));
  });

federation.setObjectDispatcher(Event, "/events/{id}", (ctx, values) => events[values.id] ?? null);

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

// A public post as Mastodon sends one to a follower's server.
async function publishNote({ to, content }) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const target = await ctx.lookupObject(to);
  if (target == null || target.id == null) return { ok: false, error: `no actor at ${to}` };
  const addressing = { to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri("fedi")] };
  const note = new Note({
    id: new URL(`/notes/${randomUUID()}`, origin), attribution: ctx.getActorUri("fedi"),
    content, published: Temporal.Now.instant(), ...addressing,
  });
  const create = new Create({ id: newId("create"), actor: ctx.getActorUri("fedi"), object: note, ...addressing });
  try {
    await ctx.sendActivity({ identifier: "fedi" }, target, create);
    return { ok: true, noteId: note.id.href, createId: create.id.href };
  } catch (error) {
    return { ok: false, noteId: note.id.href, error: String(error) };
  }
}

// --- control: events ----------------------------------------------------------------------

const MOBILIZON = "https://joinmobilizon.org/ns#";
const SCHEMA = "http://schema.org#";
// A loader without Fedify's 5-minute cache: counts change between two lookups of one Event.
const freshLoader = getDocumentLoader({ allowPrivateAddress: true });

// The Mobilizon and schema.org terms of a document as JSON-LD expansion reads them.
async function extensionTerms(ctx, document) {
  const [node] = await jsonld.expand(document, { documentLoader: ctx.contextLoader });
  const terms = {};
  for (const [key, values] of Object.entries(node ?? {})) {
    if (!key.startsWith(MOBILIZON) && !key.startsWith(SCHEMA)) continue;
    terms[key] = values.map((value) => value["@value"] ?? value["@id"] ?? null);
  }
  return terms;
}

async function lookupFresh(ctx, uri) {
  return await ctx.lookupObject(uri, { documentLoader: freshLoader });
}

async function lookup({ uri }) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const object = await lookupFresh(ctx, uri);
  if (object == null) return { ok: false, error: `Fedify could not look up ${uri}` };
  const { document } = await freshLoader(uri);
  return {
    ok: true,
    id: href(object.id),
    type: object.constructor.name,
    name: object.name?.toString() ?? null,
    attributedTo: href(object.attributionId),
    startTime: object.startTime?.toString() ?? null,
    endTime: object.endTime?.toString() ?? null,
    to: object.toIds.map(href),
    terms: await extensionTerms(ctx, document),
  };
}

// fedi/other sends Join or Leave of an Event to its author, as Mobilizon's clients do.
async function eventActivity(Kind, kind, { event, actor }) {
  const identifier = actor ?? "fedi";
  const ctx = federation.createContext(new URL(origin), undefined);
  const found = await lookupFresh(ctx, event);
  if (!(found instanceof Event)) return { ok: false, error: `no Event at ${event}` };
  const author = await lookupFresh(ctx, found.attributionId);
  if (author == null || author.id == null) return { ok: false, error: "no author" };
  const activity = new Kind({
    id: newId(kind), actor: ctx.getActorUri(identifier), object: found.id, to: author.id,
  });
  if (Kind === Join) {
    joins[activity.id.href] = {
      actor: identifier, event: found.id.href, target: author.id.href, state: "pending",
      answer: null,
    };
  }
  try {
    await ctx.sendActivity({ identifier }, author, activity);
    return { ok: true, id: activity.id.href, author: author.id.href };
  } catch (error) {
    return { ok: false, id: activity.id.href, error: String(error) };
  }
}

async function publishEvent({ to, name, content, startTime, endTime }) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const target = await ctx.lookupObject(to);
  if (target == null || target.id == null) return { ok: false, error: `no actor at ${to}` };
  const id = randomUUID();
  const event = new Event({
    id: new URL(`/events/${id}`, origin),
    attribution: ctx.getActorUri("fedi"),
    name,
    content,
    startTime: Temporal.Instant.from(startTime),
    endTime: endTime == null ? null : Temporal.Instant.from(endTime),
    published: Temporal.Now.instant(),
    to: PUBLIC_COLLECTION,
    ccs: [ctx.getFollowersUri("fedi"), target.id],
  });
  events[id] = event;
  const create = new Create({
    id: newId("create"), actor: ctx.getActorUri("fedi"), object: event,
    to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri("fedi"), target.id],
  });
  try {
    await ctx.sendActivity({ identifier: "fedi" }, target, create);
    return { ok: true, eventId: event.id.href, createId: create.id.href };
  } catch (error) {
    return { ok: false, eventId: event.id.href, error: String(error) };
  }
}

async function answerReceivedJoin({ join, accept, content }) {
  const received = joinObjects[join];
  if (received == null) return { ok: false, error: `no verified Join ${join}` };
  const ctx = federation.createContext(new URL(origin), undefined);
  const joiner = await ctx.lookupObject(joinsReceived[join].joiner);
  if (joiner == null || joiner.id == null) return { ok: false, error: "no joiner" };
  const Kind = accept ? Accept : Reject;
  const answer = new Kind({
    id: newId(accept ? "accept" : "reject"), actor: ctx.getActorUri("fedi"), object: received,
    to: joiner.id, content: content ?? null,
  });
  try {
    await ctx.sendActivity({ identifier: "fedi" }, joiner, answer);
    return { ok: true, id: answer.id.href };
  } catch (error) {
    return { ok: false, id: answer.id.href, error: String(error) };
  }
}

const CONTROL = {
  "POST /control/lookup": lookup,
  "POST /control/join": (input) => eventActivity(Join, "join", input),
  "POST /control/leave": (input) => eventActivity(Leave, "leave", input),
  "POST /control/event": publishEvent,
  "POST /control/answer": answerReceivedJoin,
  "POST /control/reply": replyDirect,
  "POST /control/note": publishNote,
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
