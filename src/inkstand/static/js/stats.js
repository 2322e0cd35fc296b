// The dashboard's "visitors in the last 5 minutes", kept up to date over a
// Server-Sent Events stream. Without this script (or without EventSource) the
// page shows the number as it was when drawn.
(function () {
  "use strict";

  const count = document.getElementById("live-count");
  if (!count || !count.dataset.stream || !("EventSource" in window)) return;
  const source = new EventSource(count.dataset.stream);
  source.onmessage = function (event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (typeof data.live === "number") count.textContent = String(data.live);
  };
})();
