// Starts Swagger UI on the API docs page. A file, not an inline script, so that the
// site's Content-Security-Policy (script-src 'self') holds on the page.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // no request to a third-party validator
    tryItOutEnabled: false,
  });
})();
