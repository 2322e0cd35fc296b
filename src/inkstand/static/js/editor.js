// The post editor. The page works without this script (its "Preview" button renders
// the preview on the server); with it, the preview follows the typing, the word count
// and reading time are shown, shortcuts work (Ctrl/Cmd+B bold, I italic, K link, E code,
// Shift+E a code block, Alt+1-3 a heading, S save, Shift+F the distraction-free mode,
// which Esc leaves and this browser remembers), leaving the page with
// unsaved changes asks first, and a post's text is autosaved: to the server a few
// seconds after typing stops and when the tab is hidden (one working revision, not a
// revision each time), and to this browser's local storage until the server has it.
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
    keep();
  });
  form.addEventListener("submit", function () {
    // The page that answers shows the form again if the save is refused.
    dirty = false;
    stopped = true;
    clearTimeout(autosaveTimer);
    store(null);
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Autosave (an existing post only: a new one is kept in this browser until saved).
  const autosaveUrl = form.dataset.autosaveUrl;
  const status = document.getElementById("autosave-status");
  // A page's editor names its own key (data-draft-key): a new page is not a new post.
  const storageKey = "inkstand:draft:" + (form.dataset.draftKey || form.dataset.postId || "new");
  const FIELDS = ["title", "body", "excerpt", "tags"];
  const AUTOSAVE_DELAY = 3000;
  const RETRY_DELAY = 10000;
  let autosaveTimer = null;
  let stopped = false;
  let saving = false;
  let unsent = false;

  function fields() {
    const found = {};
    FIELDS.forEach(function (name) {
      if (form.elements[name]) found[name] = form.elements[name].value; // a page has no tags
    });
    return found;
  }
  function show(text, failed) {
    status.hidden = false;
    status.textContent = text;
    status.classList.toggle("failed", Boolean(failed));
  }
  function store(value) {
    try {
      if (value === null) window.localStorage.removeItem(storageKey);
      else window.localStorage.setItem(storageKey, JSON.stringify(value));
    } catch (error) {
      // Storage full or refused (private mode): the server copy is what counts.
    }
  }
  function stored() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey) || "null");
    } catch (error) {
      return null;
    }
  }
  function version() {
    return form.elements.version ? form.elements.version.value : "";
  }
  function time(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // Each change: a copy in this browser at once, the server's a little later.
  function keep() {
    if (stopped) return;
    unsent = true;
    store({ version: version(), fields: fields() });
    if (!autosaveUrl) return;
    clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(send, AUTOSAVE_DELAY);
  }

  function send(leaving) {
    if (!autosaveUrl || stopped || !unsent) return;
    if (saving && !leaving) {
      autosaveTimer = setTimeout(send, AUTOSAVE_DELAY);
      return;
    }
    const sent = fields();
    const data = new URLSearchParams(sent);
    data.set("version", version());
    saving = true;
    unsent = false;
    show("Saving…");
    fetch(autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(leaving),
      headers: { "X-CSRFToken": token ? token.content : "" },
      body: data,
    })
      .then(function (response) {
        saving = false;
        if (response.status === 409) {
          stopped = true;
          show("Not saved — someone else saved this post. Autosave has stopped: " +
               "press Save to see their change and merge.", true);
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.json().then(function (answer) {
          show("Saved " + time(new Date(answer.saved_at)));
          if (!unsent) {
            store(null); // the server has it
            dirty = false;
          }
        });
      })
      .catch(function () {
        saving = false;
        unsent = true;
        show("Not saved — offline, will retry", true);
        clearTimeout(autosaveTimer);
        autosaveTimer = setTimeout(send, RETRY_DELAY);
      });
  }

  window.addEventListener("online", function () {
    send();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send(true);
  });

  // A copy this browser kept that the server never got: put it back in the form.
  const kept = stored();
  if (kept && kept.version === version() && kept.fields) {
    const current = fields();
    const differs = FIELDS.some(function (name) {
      return typeof kept.fields[name] === "string" && kept.fields[name] !== current[name];
    });
    if (differs) {
      FIELDS.forEach(function (name) {
        if (typeof kept.fields[name] === "string" && form.elements[name]) {
          form.elements[name].value = kept.fields[name];
        }
      });
      dirty = true;
      show("Restored unsaved changes kept in this browser");
      count();
      refresh();
      keep();
    }
  } else if (kept) {
    store(null); // kept for a version that is no longer current
  }

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
  // A code block around the selected lines (or an empty one), on lines of its own.
  function block() {
    const start = body.value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    let end = body.value.indexOf("\n", body.selectionEnd);
    if (end < 0) end = body.value.length;
    const lines = body.value.slice(start, end);
    body.setRangeText("```\n" + lines + "\n```", start, end, "end");
    body.setSelectionRange(start + 4, start + 4 + lines.length);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }
  // A heading of ``level`` on the line holding the caret, replacing any it had.
  function heading(level) {
    const start = body.value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    let end = body.value.indexOf("\n", start);
    if (end < 0) end = body.value.length;
    const text = body.value.slice(start, end).replace(/^#{1,6}\s*/, "");
    const marks = "#".repeat(level) + " ";
    body.setRangeText(marks + text, start, end, "end");
    body.setSelectionRange(start + marks.length, start + marks.length + text.length);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // "Delete this post" asks in a dialog here; without this script its link opens a page
  // that asks. Either way the post goes to the trash, restorable.
  const deleting = document.getElementById("delete-post");
  if (deleting && token) {
    deleting.addEventListener("click", function (event) {
      event.preventDefault();
      const question = "Move “" + deleting.dataset.title + "” to the trash? " +
        "It leaves the site at once and can be restored from the trash.";
      if (!window.confirm(question)) return;
      const sending = document.createElement("form");
      sending.method = "post";
      sending.action = deleting.dataset.action;
      const csrf = document.createElement("input");
      csrf.type = "hidden";
      csrf.name = "csrf_token";
      csrf.value = token.content;
      sending.append(csrf);
      document.body.append(sending);
      dirty = false; // the post is going: nothing to ask about before leaving
      sending.submit();
    });
  }

  // Distraction-free mode: the text full width, the site's header, footer and the other
  // fields out of sight. A button and Ctrl/Cmd+Shift+F switch it, Esc leaves it, and
  // this browser remembers it.
  const focusButton = document.getElementById("focus-toggle");
  const FOCUS_KEY = "inkstand:focus";
  function focusMode(on) {
    document.body.classList.toggle("focus-mode", on);
    focusButton.setAttribute("aria-pressed", String(on));
    focusButton.textContent = on ? "Leave distraction-free mode" : "Distraction-free mode";
    try {
      if (on) localStorage.setItem(FOCUS_KEY, "1");
      else localStorage.removeItem(FOCUS_KEY);
    } catch (error) {
      // storage refused (private mode): the mode still works for this page
    }
  }
  focusButton.hidden = false;
  focusButton.addEventListener("click", function () {
    focusMode(!document.body.classList.contains("focus-mode"));
  });
  try {
    if (localStorage.getItem(FOCUS_KEY) === "1") focusMode(true);
  } catch (error) {
    // no storage: start out of the mode
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("focus-mode")) {
      focusMode(false);
      focusButton.focus();
    }
  });

  form.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey)) return;
    const key = event.key.toLowerCase();
    if (event.altKey) {
      // Alt+1-3 by the key's place, as Alt changes the character on some layouts.
      const level = { Digit1: 1, Digit2: 2, Digit3: 3 }[event.code];
      if (level && event.target === body && !event.shiftKey) {
        event.preventDefault();
        heading(level);
      }
      return;
    }
    if (key === "s" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit(document.getElementById("save"));
      return;
    }
    if (key === "f" && event.shiftKey) {
      event.preventDefault();
      focusMode(!document.body.classList.contains("focus-mode"));
      return;
    }
    if (event.target !== body) return;
    if (event.shiftKey) {
      if (key === "e") block();
      else return;
    } else if (key === "b") wrap("**", "**", "bold");
    else if (key === "i") wrap("*", "*", "italic");
    else if (key === "k") link();
    else if (key === "e") wrap("`", "`", "code");
    else return;
    event.preventDefault();
  });

  // The cover: an image dropped on its zone is chosen for the file input (which the
  // save uploads, as without this script); what is chosen, dropped or picked, is shown.
  const zone = form.querySelector("[data-cover-drop]");
  const coverInput = zone && zone.querySelector("input[type=file]");
  if (!coverInput || !window.DataTransfer) return;
  const chosen = zone.querySelector(".cover-chosen-name");
  const coverPreview = zone.querySelector(".cover-preview");
  zone.querySelector(".cover-drop-hint").hidden = false;
  zone.classList.add("is-live");

  function showChosen() {
    const file = coverInput.files && coverInput.files[0];
    coverPreview.hidden = true;
    coverPreview.removeAttribute("src");
    chosen.textContent = file ? "Cover chosen: " + file.name + " (saved with the post)." : "";
    if (!file || !file.type.startsWith("image/")) return;
    // A data: address, which the site's Content-Security-Policy lets images use.
    const reader = new FileReader();
    reader.addEventListener("load", function () {
      if (coverInput.files[0] !== file) return;
      coverPreview.src = reader.result;
      coverPreview.hidden = false;
    });
    reader.readAsDataURL(file);
  }

  function hasFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
  }

  zone.addEventListener("dragover", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("is-over");
  });
  zone.addEventListener("dragleave", function (event) {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("is-over");
  });
  zone.addEventListener("drop", function (event) {
    zone.classList.remove("is-over");
    if (!hasFiles(event)) return;
    event.preventDefault();
    const image = Array.from(event.dataTransfer.files).find(function (file) {
      return file.type.startsWith("image/");
    });
    if (!image) {
      chosen.textContent = "That is not an image: choose a JPEG, PNG, WebP or GIF.";
      return;
    }
    const transfer = new DataTransfer();
    transfer.items.add(image);
    coverInput.files = transfer.files;
    coverInput.dispatchEvent(new Event("change", { bubbles: true }));
    coverInput.dispatchEvent(new Event("input", { bubbles: true }));
  });
  coverInput.addEventListener("change", showChosen);
})();
