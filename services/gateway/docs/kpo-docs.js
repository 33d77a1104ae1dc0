// Starts Swagger UI on /api/docs. A file of its own, not an inline script: the page's
// Content-Security-Policy allows scripts from the gateway's origin only (handlers/api_docs.cpp).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.yaml",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No online validator badge: it would fetch from validator.swagger.io.
    validatorUrl: null,
    // Keep the bearer token across reloads of the page.
    persistAuthorization: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
  });
});
