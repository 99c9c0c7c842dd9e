// Discovers a running smartnode with Fedify's own client functions and prints what Fedify saw.
//
// Usage: node discover.mjs ORIGIN QUERY...
//   ORIGIN  the node under test, e.g. http://127.0.0.1:8123 (plain http on loopback)
//   QUERY   webfinger=<resource> | object=<uri, acct: or handle> | collection=<uri>
// Prints one JSON document on stdout: {fedify, node, webfingerOverHttp, results: [...]}, where
// webfingerOverHttp lists the acct: WebFinger requests ({resource, status}) the node answered.
// Exits 2 on bad usage; a failed lookup is reported as data (null / error), never as a crash.

import { readFileSync } from "node:fs";
import {
  Application,
  Collection,
  Group,
  Organization,
  Person,
  Service,
  getDocumentLoader,
  lookupObject,
  lookupWebFinger,
  traverseCollection,
} from "@fedify/fedify";

const MAX_ITEMS = 200;

// Interop: Fedify always fingers `acct:` resources over https. The node under test serves plain
// http on 127.0.0.1, so WebFinger requests for ITS origin only are sent over http instead.
// Nothing else is touched: every other request goes out exactly as Fedify made it.
function fingerOverHttp(origin) {
  const target = new URL(origin);
  const realFetch = globalThis.fetch;
  const rewritten = [];
  globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (
      url.protocol === "https:" &&
      url.host === target.host &&
      url.pathname === "/.well-known/webfinger"
    ) {
      url.protocol = target.protocol;
      const response = await realFetch(url, init);
      rewritten.push({ resource: url.searchParams.get("resource"), status: response.status });
      return response;
    }
    return realFetch(input, init);
  };
  return rewritten;
}

const href = (value) => (value == null ? null : value.href);

async function exportSpki(key) {
  const der = await globalThis.crypto.subtle.exportKey("spki", key);
  return Buffer.from(der).toString("base64");
}

async function describeKey(actor, options) {
  try {
    const key = await actor.getPublicKey(options);
    if (key == null) return null;
    const crypto = key.publicKey;
    return {
      id: href(key.id),
      owner: href(key.ownerId),
      imported: crypto != null,
      algorithm: crypto?.algorithm?.name ?? null,
      modulusLength: crypto?.algorithm?.modulusLength ?? null,
      hash: crypto?.algorithm?.hash?.name ?? null,
      spki: crypto == null ? null : await exportSpki(crypto),
    };
  } catch (error) {
    return { error: String(error) };
  }
}

function typeName(object) {
  for (const [name, cls] of [
    ["Person", Person],
    ["Group", Group],
    ["Application", Application],
    ["Organization", Organization],
    ["Service", Service],
  ]) {
    if (object instanceof cls) return name;
  }
  return object.constructor?.name ?? null;
}

async function describeObject(object, options) {
  const base = { found: true, type: typeName(object), id: href(object.id) };
  if (!("preferredUsername" in object)) return base;
  return {
    ...base,
    isPerson: object instanceof Person,
    isGroup: object instanceof Group,
    isApplication: object instanceof Application,
    preferredUsername: object.preferredUsername?.toString() ?? null,
    name: object.name?.toString() ?? null,
    url: href(object.url instanceof URL ? object.url : object.url?.href),
    inbox: href(object.inboxId),
    outbox: href(object.outboxId),
    followers: href(object.followersId),
    following: href(object.followingId),
    featured: href(object.featuredId),
    sharedInbox: href(object.endpoints?.sharedInbox),
    manuallyApprovesFollowers: object.manuallyApprovesFollowers ?? null,
    discoverable: object.discoverable ?? null,
    publicKey: await describeKey(object, options),
  };
}

async function walkCollection(uri, options) {
  const collection = await lookupObject(uri, options);
  if (collection == null) return { found: false };
  if (!(collection instanceof Collection)) {
    return { found: true, isCollection: false, type: typeName(collection) };
  }
  const items = [];
  for await (const item of traverseCollection(collection, options)) {
    items.push(href(item.id ?? item.href));
    if (items.length >= MAX_ITEMS) break;
  }
  return {
    found: true,
    isCollection: true,
    type: collection.constructor.name,
    id: href(collection.id),
    totalItems: collection.totalItems ?? null,
    first: href(collection.firstId),
    items,
  };
}

async function run(kind, target, options) {
  if (kind === "webfinger") {
    const jrd = await lookupWebFinger(target, { allowPrivateAddress: true });
    return jrd == null ? { found: false } : { found: true, jrd };
  }
  if (kind === "object") {
    const object = await lookupObject(target, options);
    return object == null ? { found: false } : await describeObject(object, options);
  }
  if (kind === "collection") return await walkCollection(target, options);
  throw new Error(`unknown query kind ${kind}`);
}

async function main(argv) {
  const [origin, ...queries] = argv;
  if (!origin || queries.length === 0 || !/^https?:\/\//.test(origin)) {
    process.stderr.write("usage: node discover.mjs ORIGIN QUERY...\n");
    process.exit(2);
  }
  const rewritten = fingerOverHttp(origin);
  const loader = getDocumentLoader({ allowPrivateAddress: true });
  const options = { documentLoader: loader, contextLoader: loader, allowPrivateAddress: true };
  const results = [];
  for (const query of queries) {
    const cut = query.indexOf("=");
    const kind = query.slice(0, cut);
    const target = query.slice(cut + 1);
    try {
      results.push({ query, kind, target, ...(await run(kind, target, options)) });
    } catch (error) {
      results.push({ query, kind, target, found: false, error: String(error?.stack ?? error) });
    }
  }
  const fedify = JSON.parse(
    readFileSync(new URL("./node_modules/@fedify/fedify/package.json", import.meta.url)),
  ).version;
  const report = { fedify, node: process.version, webfingerOverHttp: rewritten, results };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main(process.argv.slice(2));
