// Images in the post editor. Without this script the form's "Upload and add"
// button does the same; with it, an image dropped on or pasted into the body is
// uploaded in the background and its Markdown inserted where the cursor is.
(function () {
  "use strict";

  const form = document.querySelector("form.post-form[data-upload-url]");
  const body = form && form.querySelector("textarea[name=body]");
  if (!body || !window.fetch || !window.FormData) return;
  const token = form.querySelector("input[name=csrf_token]").value;
  const status = document.createElement("p");
  status.className = "help";
  status.setAttribute("role", "status");
  body.insertAdjacentElement("afterend", status);

  function insert(text) {
    const start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    body.selectionStart = body.selectionEnd = start + text.length;
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  async function upload(file) {
    const data = new FormData();
    data.append("csrf_token", token);
    data.append("image", file, file.name || "pasted-image");
    status.textContent = "Uploading " + (file.name || "the image") + "…";
    try {
      const response = await fetch(form.dataset.uploadUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token },
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        insert(answer.markdown + "\n");
        status.textContent = "Image added.";
      } else {
        const errors = answer.errors ? Object.values(answer.errors).flat() : [];
        status.textContent = errors.join(" ") || "The image could not be uploaded.";
      }
    } catch (error) {
      status.textContent = "The image could not be uploaded: the connection failed.";
    }
  }

  function images(list) {
    return Array.from(list || []).filter((file) => file.type.startsWith("image/"));
  }

  body.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
      event.preventDefault();
    }
  });
  body.addEventListener("drop", (event) => {
    const files = images(event.dataTransfer && event.dataTransfer.files);
    if (!files.length) return;
    event.preventDefault();
    files.reduce((done, file) => done.then(() => upload(file)), Promise.resolve());
  });
  body.addEventListener("paste", (event) => {
    const files = images(event.clipboardData && event.clipboardData.files);
    if (!files.length) return;
    event.preventDefault();
    files.reduce((done, file) => done.then(() => upload(file)), Promise.resolve());
  });
})();
