// Another origin's frame on the embedding page tries to drive the
// playground frame beside it: hellos of its own, requests on guessed
// channels, fake responses to the page. It counts what it gets back.
(() => {
  let received = 0;
  window.addEventListener("message", (event) => {
    if (event.data && event.data.protocol === "redis-playground") received++;
  });
  const playground = window.parent.frames[0];
  const attack = () => {
    for (const channel of ["evil", "", "plain-0"]) {
      playground.postMessage({ protocol: "redis-playground", type: "hello", channel }, "*");
      playground.postMessage({ protocol: "redis-playground", type: "request", channel, id: 1, op: "run", args: [6379, "SET hacked 1"] }, "*");
      playground.postMessage({ protocol: "redis-playground", type: "request", channel, id: 2, op: "load", args: ["server 6379\n6379> SET hacked 2"] }, "*");
    }
    window.parent.postMessage({ protocol: "redis-playground", type: "response", channel: "evil", id: 1, ok: true, value: "forged" }, "*");
  };
  let rounds = 0;
  const timer = setInterval(() => {
    attack();
    if (++rounds >= 20) {
      clearInterval(timer);
      window.parent.postMessage({ foreignDone: true, received }, "*");
    }
  }, 100);
})();
