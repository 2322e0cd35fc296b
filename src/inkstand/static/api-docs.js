// Starts Swagger UI on the API docs page. A file, not an inline script, so that the
// site's Content-Security-Policy (script-src 'self') holds on the page.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  // What Swagger UI draws without, mended each time it draws (axe): names for its
  // lists (servers, a parameter's values); its title a second-level heading under the page's own h1, so that its
  // third-level ones follow in order; and its parts outside its <main> named regions.
  function mend() {
    root.querySelectorAll("select:not([aria-label])").forEach(function (select) {
      var row = select.closest("tr[data-param-name]");
      var named = select.id === "servers" ? "Server" : row ? row.getAttribute("data-param-name") : "";
      select.setAttribute("aria-label", named || "Choose"); // Swagger's own labels are empty
    });
    // Examples scroll sideways: reachable by keyboard.
    root.querySelectorAll("pre:not([tabindex])").forEach(function (pre) {
      pre.setAttribute("tabindex", "0");
    });
    var title = root.querySelector("h1.title, h2.title");
    if (title && title.getAttribute("aria-level") !== "2") {
      title.setAttribute("aria-level", "2");
    }
    [
      [".information-container", "About the API"],
      [".scheme-container, .schemes-server-container", "Server and authorisation"],
    ].forEach(function (named) {
      var part = root.querySelector(named[0]);
      if (part && !part.hasAttribute("role")) {
        part.setAttribute("role", "region");
        part.setAttribute("aria-label", named[1]);
      }
    });
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    // No links to each operation: Swagger UI puts them inside the button that opens
    // the operation, a link inside a button (axe: nested-interactive).
    deepLinking: false,
    validatorUrl: null, // no request to a third-party validator
    tryItOutEnabled: false,
    onComplete: function () {
      mend();
      new MutationObserver(mend).observe(root, { childList: true, subtree: true });
    },
  });
})();
