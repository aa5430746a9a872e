// <redis-playground>: a live Redis replication playground in any page.
//
//   <script src="embed.js"></script>
//   <redis-playground scenario="lesson-3"></redis-playground>
//   <redis-playground src="my-lesson.scn" panels="graph,consoles" height="480"></redis-playground>
//   <redis-playground lang="zh">server 6379
//   6379> SET greeting hello</redis-playground>
//
// Attributes: scenario (a built-in), src (a .scn file, relative to the
// page), panels (graph,consoles,log,data), height (pixels; without it the
// frame grows with its content), lang (en or zh). With neither scenario
// nor src, the element's text is the scenario. Each element hosts its own
// playground in a frame of the page's index.html?embed.
//
// API: el.ready (a Promise), el.load(text), el.run(port, line),
// el.snapshot(), el.next(), el.restart(); events: ready, step, task-done,
// log, role-change (CustomEvents, their data in event.detail).
(() => {
  "use strict";
  if (window.customElements === undefined || customElements.get("redis-playground")) return;

  const PROTOCOL = "redis-playground";
  const MAX_SCENARIO_BYTES = 256 * 1024;
  const EVENTS = new Set(["ready", "step", "task-done", "log", "role-change"]);
  const script = document.currentScript;
  const base = new URL(".", script && script.src ? script.src : document.baseURI);

  function channelId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function fetchScenario(url) {
    const address = new URL(url, document.baseURI);
    // As the page checks ?src=: a file beside the page or http(s), nothing else.
    if (address.protocol !== "http:" && address.protocol !== "https:") {
      throw new Error(`${url} is not a relative or http(s) address`);
    }
    const response = await fetch(address, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const text = await response.text();
    if (new TextEncoder().encode(text).length > MAX_SCENARIO_BYTES) throw new Error(`${url} is longer than 256 KiB`);
    return text;
  }

  class RedisPlayground extends HTMLElement {
    static get observedAttributes() {
      return ["scenario", "src", "panels", "lang", "height"];
    }

    constructor() {
      super();
      this._shadow = this.attachShadow({ mode: "open" });
      this._frame = null;
      this._onMessage = this._onMessage.bind(this);
      this._resetReady();
    }

    _resetReady() {
      this.ready = new Promise((resolve, reject) => {
        this._readyResolve = resolve;
        this._readyReject = reject;
      });
      // Nobody need listen for a failure: it is also shown in the frame.
      this.ready.catch(() => {});
    }

    connectedCallback() {
      if (!this._frame) this._build();
    }

    disconnectedCallback() {
      this._teardown();
    }

    attributeChangedCallback(name, before, after) {
      // No lang means English: setting it to "en" changes nothing.
      const meaning = (value) => (name === "lang" ? (value === "zh" ? "zh" : "en") : value);
      if (meaning(before) === meaning(after) || !this._frame) return;
      if (name === "height") {
        this._applyHeight();
        return;
      }
      // Another scenario, language or layout: a new playground.
      this._teardown();
      this._resetReady();
      this._build();
    }

    _teardown() {
      window.removeEventListener("message", this._onMessage);
      clearInterval(this._helloTimer);
      for (const { reject } of (this._pending || new Map()).values()) reject(new Error("the playground was replaced"));
      if (this._frame) this._frame.remove();
      this._frame = null;
    }

    _build() {
      this._channel = channelId();
      this._pending = new Map();
      this._nextId = 1;
      this._connected = false;
      this._welcome = new Promise((resolve) => (this._welcomeResolve = resolve));
      const name = this.getAttribute("scenario");
      const src = this.getAttribute("src");
      const url = new URL("index.html", base);
      url.searchParams.set("embed", "");
      if (this.hasAttribute("panels")) url.searchParams.set("panels", this.getAttribute("panels"));
      url.searchParams.set("lang", this.getAttribute("lang") === "zh" ? "zh" : "en");
      if (name) url.searchParams.set("scenario", name);
      else url.searchParams.set("inline", "");
      this._origin = url.origin;

      const style = document.createElement("style");
      style.textContent = ":host{display:block}iframe{display:block;width:100%;border:1px solid #d0d7de;border-radius:8px;background:#fff}";
      const frame = document.createElement("iframe");
      frame.title = "Redis replication playground";
      frame.setAttribute("loading", "eager");
      frame.src = url.href;
      this._frame = frame;
      this._applyHeight();
      this._shadow.replaceChildren(style, frame);
      window.addEventListener("message", this._onMessage);
      // Say hello until the frame's page is up and answers.
      let tries = 0;
      this._helloTimer = setInterval(() => {
        if (this._connected || ++tries > 600) return clearInterval(this._helloTimer);
        if (frame.contentWindow) frame.contentWindow.postMessage({ protocol: PROTOCOL, type: "hello", channel: this._channel }, this._origin);
      }, 100);

      this._frameReady = new Promise((resolve) => (this._frameReadyResolve = resolve));
      const start = async () => {
        await this._frameReady;
        // The element's own text is read now: when the element was
        // created, the parser had not reached its text yet.
        const inline = name || src ? "" : this.textContent;
        if (src) await this.load(await fetchScenario(src));
        else if (inline.trim()) await this.load(inline);
      };
      start().then(
        () => {
          this._readyResolve();
          this.dispatchEvent(new CustomEvent("ready"));
        },
        (error) => this._readyReject(error),
      );
    }

    _applyHeight() {
      if (!this._frame) return;
      const height = parseInt(this.getAttribute("height") || "", 10);
      this._fixedHeight = height > 0;
      this._frame.style.height = `${this._fixedHeight ? height : 560}px`;
    }

    _onMessage(event) {
      if (!this._frame || event.source !== this._frame.contentWindow || event.origin !== this._origin) return;
      const data = event.data;
      if (!data || data.protocol !== PROTOCOL || data.channel !== this._channel) return;
      if (data.type === "welcome") {
        this._connected = true;
        this._welcomeResolve();
      } else if (data.type === "response") {
        const pending = this._pending.get(data.id);
        if (!pending) return;
        this._pending.delete(data.id);
        if (data.ok) pending.resolve(data.value);
        else pending.reject(new Error(data.error));
      } else if (data.type === "event") {
        if (data.name === "resize") {
          const height = data.detail && data.detail.height;
          if (!this._fixedHeight && height > 0) this._frame.style.height = `${Math.min(height, 20000)}px`;
        } else if (data.name === "ready") {
          this._frameReadyResolve();
        } else if (EVENTS.has(data.name)) {
          this.dispatchEvent(new CustomEvent(data.name, { detail: data.detail }));
        }
      }
    }

    async _request(op, args) {
      await this._welcome;
      const id = this._nextId++;
      const reply = new Promise((resolve, reject) => this._pending.set(id, { resolve, reject }));
      this._frame.contentWindow.postMessage({ protocol: PROTOCOL, type: "request", channel: this._channel, id, op, args }, this._origin);
      return reply;
    }

    async _afterReady(op, args) {
      await this._frameReady;
      return this._request(op, args);
    }

    load(text) {
      return this._afterReady("load", [String(text)]);
    }

    run(port, line) {
      return this._afterReady("run", [Number(port), String(line)]);
    }

    snapshot() {
      return this._afterReady("snapshot", []);
    }

    next() {
      return this._afterReady("next", []);
    }

    restart() {
      return this._afterReady("restart", []);
    }
  }

  customElements.define("redis-playground", RedisPlayground);
})();
