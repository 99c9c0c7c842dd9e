// The member's browser in the OAuth flow: it opens the app's authorization URL, signs in on
// the node's sign-in form when asked, and presses Allow on the consent page, keeping cookies
// as a browser does. It returns the authorization code the app receives: from the redirect to
// the app's URI, or (out of band) from the page that shows it.

const OOB = "urn:ietf:wg:oauth:2.0:oob";

class CookieJar {
  constructor() {
    this.cookies = new Map();
  }
  take(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/max-age=0\b/i.test(line) || value === "" || value === '""') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

function unescapeHtml(text) {
  return text
    .replaceAll("&quot;", '"')
    .replaceAll("&#34;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/** The first POST form of a page whose action is `action`: its fields, as a browser sends. */
export function formOf(page, action) {
  const forms = [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const found = forms.find(([, attrs]) => attrs.includes(`action="${action}"`));
  if (!found) throw new Error(`no form posting to ${action} on the page:\n${page.slice(0, 2000)}`);
  const fields = new URLSearchParams();
  for (const [input] of found[2].matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(input);
    const type = /\btype="([^"]*)"/.exec(input);
    const value = /\bvalue="([^"]*)"/.exec(input);
    if (name && type && type[1] === "hidden") fields.append(unescapeHtml(name[1]), unescapeHtml(value ? value[1] : ""));
  }
  return fields;
}

export class Browser {
  constructor(origin) {
    this.origin = origin;
    this.jar = new CookieJar();
    this.visited = [];
  }

  async open(url, init = {}) {
    const headers = { ...(init.headers || {}), "Accept-Language": "en" };
    const cookie = this.jar.header();
    if (cookie) headers.Cookie = cookie;
    const response = await fetch(new URL(url, this.origin), { ...init, headers, redirect: "manual" });
    this.jar.take(response);
    this.visited.push(`${init.method || "GET"} ${new URL(url, this.origin).pathname} ${response.status}`);
    return response;
  }

  async submit(action, fields) {
    return this.open(action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: this.origin },
      body: fields.toString(),
    });
  }

  /** Follow redirects on the node; stop at a redirect that leaves it (to the app). */
  async follow(response) {
    while ([301, 302, 303, 307, 308].includes(response.status)) {
      const target = new URL(response.headers.get("location"), this.origin);
      if (target.origin !== this.origin) return { redirectedTo: target };
      response = await this.open(target.href);
    }
    return { response };
  }

  /** Sign in with the node's form when it asks, then Allow: the code for the app. */
  async authorize(authorizationUrl, { username, password, redirectUri, state }) {
    let { response, redirectedTo } = await this.follow(await this.open(authorizationUrl));
    if (redirectedTo) throw new Error(`the node sent the browser away at once: ${redirectedTo}`);
    let page = await response.text();
    if (page.includes('action="/signin"')) {
      const fields = formOf(page, "/signin");
      fields.set("name", username);
      fields.set("password", password);
      ({ response, redirectedTo } = await this.follow(await this.submit("/signin", fields)));
      if (redirectedTo) throw new Error(`sign-in left the node: ${redirectedTo}`);
      page = await response.text();
    }
    if (response.status !== 200 || !page.includes('action="/oauth/authorize"')) {
      throw new Error(`no consent page (HTTP ${response.status}):\n${page.slice(0, 2000)}`);
    }
    const consent = formOf(page, "/oauth/authorize");
    consent.set("decision", "allow");
    const decided = await this.follow(await this.submit("/oauth/authorize", consent));
    if (redirectUri === OOB) {
      const shown = await decided.response.text();
      const code = /id="oauth-code"[^>]*value="([^"]+)"/.exec(shown);
      if (!code) throw new Error(`no code on the out-of-band page:\n${shown.slice(0, 2000)}`);
      return { code: unescapeHtml(code[1]), consentFields: [...consent.keys()] };
    }
    const target = decided.redirectedTo;
    if (!target || !target.href.startsWith(redirectUri)) {
      throw new Error(`Allow did not send the browser to the app: ${target || decided.response.status}`);
    }
    if (state !== undefined && target.searchParams.get("state") !== state) {
      throw new Error(`the state came back as ${target.searchParams.get("state")}`);
    }
    return { code: target.searchParams.get("code"), consentFields: [...consent.keys()] };
  }
}

/** A PKCE verifier and its S256 challenge (RFC 7636), computed here. */
export async function pkcePair() {
  const { randomBytes, createHash } = await import("node:crypto");
  const verifier = randomBytes(48).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}
