// The tutorial's language switch: English or Chinese prose, and each
// embedded playground's scenario in the same language. The choice comes
// from ?lang=, else the last one made here, else the browser's language.
(() => {
  "use strict";
  const KEY = "redis-playground/tutorial-lang";

  function remembered() {
    try {
      return localStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }

  function setLang(lang, remember) {
    lang = lang === "zh" ? "zh" : "en";
    const root = document.documentElement;
    root.dataset.lang = lang;
    root.lang = lang === "zh" ? "zh-CN" : "en";
    for (const button of document.querySelectorAll("[data-set-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.setLang === lang));
    }
    for (const playground of document.querySelectorAll("redis-playground")) {
      if (playground.getAttribute("lang") !== lang) playground.setAttribute("lang", lang);
    }
    const title = document.querySelector(`h1 [lang="${lang}"]`);
    if (title) document.title = title.textContent;
    if (remember) {
      try {
        localStorage.setItem(KEY, lang);
      } catch (e) {
        // A browser that keeps nothing still switches.
      }
    }
  }

  const asked = new URLSearchParams(location.search).get("lang");
  const browser = (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  setLang(asked || remembered() || browser, false);
  for (const button of document.querySelectorAll("[data-set-lang]")) {
    button.addEventListener("click", () => setLang(button.dataset.setLang, true));
  }
})();
