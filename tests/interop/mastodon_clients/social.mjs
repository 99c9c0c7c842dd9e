// What both social scripts share: the arguments, the report, the Fedify peer's control API,
// and bounded waiting. Not a client library: the libraries are driven by the scripts.

export function start(library, version) {
  const args = JSON.parse(process.argv[2]);
  const report = { library, version, steps: [] };
  const step = (name, value) => {
    report.steps.push(name);
    report[name] = value;
    return value;
  };
  return { args, report, step };
}

/** Ask the Fedify peer (tests/interop/fedify/server.mjs) to act: its JSON answer. */
export async function fedify(origin, path, payload) {
  const answer = await fetch(new URL(path, origin), {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
  });
  const found = await answer.json();
  if (!found.ok) throw new Error(`Fedify ${path}: ${JSON.stringify(found)}`);
  return found;
}

/** Poll `check` until it returns something truthy (every 250 ms, at most `seconds`). */
export async function eventually(what, check, seconds = 45) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A promise that fails after `seconds` unless `promise` settles first. */
export function within(what, promise, seconds = 45) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The fields of a status or account the test compares, from either library's shape. */
export const brief = {
  account: (a) => ({ id: a.id, acct: a.acct, url: a.url, username: a.username }),
  status: (s) => ({ id: s.id, uri: s.uri, content: s.content, account: s.account.acct, visibility: s.visibility }),
};
