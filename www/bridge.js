// The browser plumbing the Rust page calls (imported by its wasm-bindgen
// glue): permalink compression, capped fetches, and the frame's side of
// the embedding protocol. The protocol: the parent window sends
// {protocol: "redis-playground", type: "hello", channel}; the frame answers
// "welcome" to that window's origin only, and from then on takes
// "request" messages ({id, op, args}) from that window, that origin and
// that channel only, answering "response" ({id, ok, value | error}) and
// posting "event" messages ({name, detail}), all tagged with the channel.

const PROTOCOL = "redis-playground";

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// Reads a stream to its end, refusing more than maxBytes.
async function readCapped(stream, maxBytes, tooBig) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      reader.cancel().catch(() => {});
      throw new Error(tooBig);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export async function deflate_base64url(text) {
  const input = new Blob([new TextEncoder().encode(text)]).stream();
  const bytes = await readCapped(input.pipeThrough(new CompressionStream("deflate-raw")), 64 << 20, "too long");
  return toBase64Url(bytes);
}

export async function inflate_base64url(data, maxBytes) {
  let bytes;
  try {
    bytes = fromBase64Url(data);
  } catch (e) {
    throw new Error("the link's scenario is not base64url text");
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  let text;
  try {
    text = await readCapped(stream, maxBytes, `the link's scenario is longer than ${maxBytes >> 10} KiB`);
  } catch (e) {
    throw new Error(e.message.startsWith("the link") ? e.message : "the link's scenario is damaged (it does not inflate)");
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(text);
}

export async function fetch_text(url, maxBytes) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (e) {
    throw new Error(`${url} could not be fetched`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
  const bytes = await readCapped(response.body, maxBytes, `${url} is longer than ${maxBytes >> 10} KiB`);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

export async function copy_text(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    return false;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let link = null;
let ready = false;
let handler = null;

function post(message) {
  if (!link) return;
  window.parent.postMessage({ protocol: PROTOCOL, channel: link.channel, ...message }, link.origin);
}

function observeHeight() {
  if (typeof ResizeObserver !== "function") return;
  let last = 0;
  const report = () => {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height !== last) {
      last = height;
      post({ type: "event", name: "resize", detail: { height } });
    }
  };
  new ResizeObserver(report).observe(document.body);
  report();
}

async function answer(data) {
  const id = data.id;
  try {
    const args = Array.isArray(data.args) ? data.args : [];
    const value = await handler(String(data.op), args);
    post({ type: "response", id, ok: true, value: value === undefined ? null : value });
  } catch (e) {
    post({ type: "response", id, ok: false, error: String((e && e.message) || e) });
  }
}

function onMessage(event) {
  // Only the window that holds this frame; nobody else's messages count.
  if (event.source !== window.parent || window.parent === window) return;
  const data = event.data;
  if (!data || typeof data !== "object" || data.protocol !== PROTOCOL) return;
  if (data.type === "hello") {
    if (typeof data.channel !== "string" || data.channel.length === 0 || data.channel.length > 128) return;
    if (link && (link.channel !== data.channel || link.origin !== event.origin)) return;
    const first = !link;
    link = { channel: data.channel, origin: event.origin };
    post({ type: "welcome" });
    if (first) observeHeight();
    if (ready) post({ type: "event", name: "ready", detail: null });
    return;
  }
  if (!link || event.origin !== link.origin || data.channel !== link.channel) return;
  if (data.type === "request" && handler) answer(data);
}

// `onRequest(op, args)` returns a value or a Promise of one.
export function install_bridge(onRequest) {
  handler = onRequest;
  window.addEventListener("message", onMessage);
}

// Events for the parent; `ready` is kept and sent once the parent says hello.
export function emit(name, detailJson) {
  if (name === "ready") ready = true;
  post({ type: "event", name, detail: detailJson === undefined || detailJson === null ? null : JSON.parse(detailJson) });
}

export function is_framed() {
  return window.parent !== window;
}
