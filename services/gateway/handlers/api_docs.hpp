#pragma once
// The API documentation the gateway serves itself: the OpenAPI document and Swagger UI.
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace kpo::gateway {

// GET /api/openapi.yaml: `document` as application/yaml.
http::Response OpenApiYaml(std::string_view document);

// GET /api/docs (name "index.html") and /api/docs/{file}: `docs_dir`/index.html, or a Swagger UI
// asset from `docs_dir`/node_modules/swagger-ui-dist (else from `docs_dir` itself), cacheable for an
// hour, with a Content-Security-Policy that admits same-origin scripts only and no framing. Only plain file
// names: anything with a '/' or "..", or a missing file, throws http::ProblemError(404).
http::Response DocsFile(const std::string& docs_dir, const std::string& name);

}  // namespace kpo::gateway
