#include "gateway/handlers/api_docs.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/problem.hpp"

namespace kpo::gateway {
namespace {

// connect-src: the page's own origin and the servers the OpenAPI document names ("Try it out" calls
// the one chosen; the gateway's CORS admits the web app's origin). The e2e test "the API docs page
// renders under its Content-Security-Policy" loads it in Chromium.
constexpr const char* kDocsContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' http://localhost:5005 http://localhost:3000; font-src 'self' data:; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'";

// The type of a document the page is made of; nullptr for any other kind of file (the directory
// also holds the npm manifests and node_modules, which are not documents).
const char* ContentTypeOf(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return ext == ".html"  ? "text/html; charset=utf-8"
         : ext == ".css" ? "text/css; charset=utf-8"
         : ext == ".js"  ? "application/javascript; charset=utf-8"
         : ext == ".png" ? "image/png"
                         : nullptr;
}

// A plain file name: printable ASCII, no path separator, not hidden, no "..". A NUL would cut the
// name the file system sees short of the one the type was taken from ("a.css%00.html").
bool IsPlainName(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.find("..") != std::string::npos) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c > 0x20 && c < 0x7F && c != '/' && c != '\\'; });
}

}  // namespace

http::Response OpenApiYaml(std::string_view document) {
  http::Response response;
  response.body = std::string(document);
  response.headers.emplace_back("Content-Type", "application/yaml; charset=utf-8");
  return response;
}

http::Response DocsFile(const std::string& docs_dir, const std::string& name) {
  // Only the page's documents, by plain file name, from the docs directory: no path traversal, no
  // directories, no other files.
  const char* type = IsPlainName(name) ? ContentTypeOf(name) : nullptr;
  if (type == nullptr) throw http::ProblemError(404, "No such document");
  std::filesystem::path path = docs_dir;
  path /= name;
  if (name != "index.html") {
    auto dist = std::filesystem::path(docs_dir) / "node_modules" / "swagger-ui-dist" / name;
    if (std::filesystem::exists(dist)) path = dist;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw http::ProblemError(404, "No such document");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw http::ProblemError(404, "No such document");
  std::ostringstream content;
  content << file.rdbuf();
  http::Response response;
  response.body = content.str();
  response.headers.emplace_back("Content-Type", type);
  // The type above is the one meant: a browser must not guess another from the content.
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Cache-Control", "public, max-age=3600");
  // Through nginx the page shares its origin with the web app, whose session token is in the
  // origin's localStorage: the page runs the gateway's own scripts only and is never framed. Swagger
  // UI sets inline styles and draws icons as data: images; it fetches the document and calls the API
  // on this origin.
  response.headers.emplace_back("Content-Security-Policy", kDocsContentSecurityPolicy);
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

}  // namespace kpo::gateway
