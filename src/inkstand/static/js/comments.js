// Live comments on a post page. The page works without this script; with it,
// a comment is posted in the background and shown at once, and comments others
// post, edit or remove appear without a reload: through a Server-Sent Events
// stream, or by long polling where a stream cannot be held.
(function () {
  "use strict";

  const section = document.getElementById("comments");
  if (!section || !section.dataset.stream) return;
  const thread = section.querySelector("ol.thread");
  const heading = document.getElementById("comments-heading");
  let last = Number(section.dataset.lastEvent) || 0;

  // The heading counts the comments this reader sees, saying how many await approval
  // (as the server writes it).
  function recount() {
    const count = thread.querySelectorAll("article.comment").length;
    const held = thread.querySelectorAll("article.comment.held").length;
    heading.textContent = count + (count === 1 ? " comment" : " comments");
    if (held) {
      const note = document.createElement("span");
      note.className = "held-count";
      note.textContent = "(" + held + " awaiting approval)";
      heading.append(" ", note);
    }
  }

  function item(id) {
    return document.getElementById("comment-" + id);
  }

  // Show a comment (the server's HTML for it), replacing what stands there.
  function place(id, parent, html) {
    const existing = item(id);
    if (existing) {
      const shown = existing.querySelector(":scope > article, :scope > .comment-gone");
      if (shown) shown.outerHTML = html;
      else existing.insertAdjacentHTML("afterbegin", html);
      return;
    }
    const li = document.createElement("li");
    li.id = "comment-" + id;
    li.innerHTML = html;
    let list = thread;
    const above = parent ? item(parent) : null;
    if (above) {
      list = above.querySelector(":scope > ol.replies");
      if (!list) {
        list = document.createElement("ol");
        list.className = "replies";
        above.appendChild(list);
      }
    }
    list.appendChild(li);
    thread.hidden = false;
  }

  // A removed comment keeps its place as "[deleted]" while it holds replies.
  function remove(id) {
    const existing = item(id);
    if (!existing) return;
    const shown = existing.querySelector(":scope > article");
    if (existing.querySelector(":scope > ol.replies > li")) {
      if (shown) {
        const gone = document.createElement("p");
        gone.className = "comment-gone";
        gone.textContent = "[deleted]";
        shown.replaceWith(gone);
      }
    } else {
      existing.remove();
    }
  }

  function apply(change) {
    if (change.kind === "removed" || !change.html) remove(change.id);
    else place(change.id, change.parent, change.html);
    recount();
  }

  // --- Posting in the background ---------------------------------------

  function say(form, kind, text) {
    let box = form.querySelector(".form-feedback");
    if (!box) {
      box = document.createElement("div");
      box.className = "form-feedback";
      form.prepend(box);
    }
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.className = "form-feedback " + kind;
    box.textContent = text;
  }

  const refusals = {
    400: "This form has expired. Reload the page and try again.",
    403: "You may not comment on this post.",
    404: "This post is not there any more.",
    413: "Your comment is too long.",
    429: "You are commenting too fast. Wait a minute and try again.",
  };

  section.addEventListener("submit", async function (event) {
    const form = event.target.closest("form.comment-form");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const json = (response.headers.get("Content-Type") || "").includes("json");
      const data = json ? await response.json() : null;
      if (response.ok && data) {
        place(data.id, data.parent, data.html);
        recount();
        form.reset();
        say(form, "success", data.message);
      } else if (data && data.errors) {
        if (data.stamp) form.elements.stamp.value = data.stamp;
        const messages = Object.values(data.errors).flat();
        say(form, "error", messages.join(" ") || "Your comment could not be posted.");
      } else {
        say(form, "error", refusals[response.status] || "Your comment could not be posted. Try again.");
      }
    } catch (error) {
      say(form, "error", "No connection to the site. Try again in a moment.");
    } finally {
      button.disabled = false;
    }
  });

  // --- Others' comments, as they happen ----------------------------------

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(section.dataset.poll + "?after=" + last, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.status === 404) return;
        if (response.status === 503 || response.status === 429) {
          await wait(30000); // the site is busy: come back later
          continue;
        }
        if (!response.ok) throw new Error("status " + response.status);
        const data = await response.json();
        data.events.forEach(apply);
        last = data.last;
      } catch (error) {
        await wait(5000);
      }
    }
  }

  function listen() {
    if (!window.EventSource) {
      poll();
      return;
    }
    // On reconnecting, the browser sends Last-Event-ID, which the server
    // prefers to "after": nothing is missed and nothing comes twice.
    const source = new EventSource(section.dataset.stream + "?after=" + last);
    let failures = 0;
    source.onopen = function () { failures = 0; };
    source.onmessage = function (message) {
      last = Number(message.lastEventId) || last;
      apply(JSON.parse(message.data));
    };
    source.onerror = function () {
      failures += 1;
      if (source.readyState === EventSource.CLOSED || failures > 3) {
        source.close();
        poll();
      }
    };
  }

  listen();
})();
