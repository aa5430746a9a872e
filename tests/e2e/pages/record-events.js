// Keeps every event each <redis-playground> fires, by element id, for the tests to read.
window.events = {};
for (const el of document.querySelectorAll("redis-playground")) {
  window.events[el.id] = [];
  for (const name of ["ready", "step", "task-done", "log", "role-change"]) {
    el.addEventListener(name, (event) => window.events[el.id].push({ name, detail: event.detail }));
  }
}
