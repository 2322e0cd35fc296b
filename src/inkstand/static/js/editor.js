// The post editor. The page works without this script (its "Preview" button renders
// the preview on the server); with it, the preview follows the typing, the word count
// and reading time are shown, Ctrl/Cmd+B, I, K and S work, and leaving the page with
// unsaved changes asks first.
(function () {
  "use strict";

  const form = document.getElementById("post-form");
  if (!form) return;
  const body = form.querySelector("textarea[name=body]");
  const write = document.getElementById("write");
  const preview = document.getElementById("preview");
  const previewBody = document.getElementById("preview-body");
  const toggle = document.getElementById("preview-toggle");
  const stats = document.getElementById("write-stats");
  const token = document.querySelector("meta[name=csrf-token]");
  const WORDS_PER_MINUTE = 230; // as inkstand.markup.reading_minutes
  let dirty = false;

  // Preview: the server renders it with the function that renders on save.
  let timer = null;
  let asked = 0;
  function refresh() {
    const mine = ++asked;
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.content : "" },
      body: new URLSearchParams({ body: body.value }),
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (mine === asked) previewBody.innerHTML = data.html; // sanitised by the server
      })
      .catch(function () {
        if (mine === asked) previewBody.textContent = "The preview could not be updated.";
      });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 500);
  }

  write.classList.add("live");
  preview.hidden = false;
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    const shown = preview.classList.toggle("shown");
    toggle.setAttribute("aria-expanded", String(shown));
    toggle.textContent = shown ? "Hide preview" : "Show preview";
  });
  if (!previewBody.innerHTML.trim() && body.value.trim()) refresh();

  // Word count and reading time.
  function count() {
    const words = body.value.split(/\s+/).filter(Boolean).length;
    const minutes = Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
    stats.textContent = words + (words === 1 ? " word" : " words") + " · " + minutes + " min read";
  }
  stats.hidden = false;
  count();

  body.addEventListener("input", function () {
    count();
    later();
  });
  form.addEventListener("input", function () {
    dirty = true;
  });
  form.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Shortcuts: wrap the selection, or make a link of it.
  function wrap(before, after, placeholder) {
    const start = body.selectionStart;
    const end = body.selectionEnd;
    const chosen = body.value.slice(start, end) || placeholder;
    body.setRangeText(before + chosen + after, start, end, "end");
    body.setSelectionRange(start + before.length, start + before.length + chosen.length);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function link() {
    const start = body.selectionStart;
    const end = body.selectionEnd;
    const words = body.value.slice(start, end) || "words";
    body.setRangeText("[" + words + "](https://)", start, end, "end");
    const url = start + words.length + 3;
    body.setSelectionRange(url, url + "https://".length);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }
  form.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "s") {
      event.preventDefault();
      form.requestSubmit(document.getElementById("save"));
      return;
    }
    if (event.target !== body) return;
    if (key === "b") wrap("**", "**", "bold");
    else if (key === "i") wrap("*", "*", "italic");
    else if (key === "k") link();
    else return;
    event.preventDefault();
  });
})();
