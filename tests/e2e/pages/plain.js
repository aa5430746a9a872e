// The embedding protocol by hand, as a page with a plain iframe speaks it:
// hello with a channel, then requests; only the frame's own messages on
// that channel count. The foreign frame's address comes in ?foreign=.
(() => {
  const frame = document.getElementById("playground");
  const origin = new URL(frame.src).origin;
  const channel = "plain-" + Math.random().toString(36).slice(2);
  const pending = new Map();
  let nextId = 1;
  let welcomed;
  const welcome = new Promise((resolve) => (welcomed = resolve));
  window.seen = { welcome: 0, events: [], strays: 0 };
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (data && data.foreignDone) window.foreignReport = data;
    if (event.source !== frame.contentWindow || event.origin !== origin || !data || data.channel !== channel) {
      if (data && data.protocol === "redis-playground") window.seen.strays++;
      return;
    }
    if (data.type === "welcome") {
      window.seen.welcome++;
      welcomed();
    } else if (data.type === "event") {
      window.seen.events.push(data.name);
    } else if (data.type === "response" && pending.has(data.id)) {
      const { resolve, reject } = pending.get(data.id);
      pending.delete(data.id);
      data.ok ? resolve(data.value) : reject(new Error(data.error));
    }
  });
  const timer = setInterval(() => frame.contentWindow.postMessage({ protocol: "redis-playground", type: "hello", channel }, origin), 100);
  welcome.then(() => clearInterval(timer));
  window.request = async (op, args) => {
    await welcome;
    const id = nextId++;
    const reply = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    frame.contentWindow.postMessage({ protocol: "redis-playground", type: "request", channel, id, op, args }, origin);
    return reply;
  };
  const foreign = new URLSearchParams(location.search).get("foreign");
  if (foreign) document.getElementById("foreign").src = foreign;
})();
