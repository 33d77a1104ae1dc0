#include "gateway/handlers/api_docs.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/problem.hpp"

namespace kpo::gateway {
namespace {

const char* ContentTypeOf(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return ext == ".html"  ? "text/html; charset=utf-8"
         : ext == ".css" ? "text/css; charset=utf-8"
         : ext == ".js"  ? "application/javascript; charset=utf-8"
         : ext == ".png" ? "image/png"
                         : "application/octet-stream";
}

}  // namespace

http::Response OpenApiYaml(std::string_view document) {
  http::Response response;
  response.body = std::string(document);
  response.headers.emplace_back("Content-Type", "application/yaml; charset=utf-8");
  return response;
}

http::Response DocsFile(const std::string& docs_dir, const std::string& name) {
  // Only plain file names from the docs directory: no path traversal.
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos) {
    throw http::ProblemError(404, "No such document");
  }
  std::filesystem::path path = docs_dir;
  path /= name;
  if (name != "index.html") {
    auto dist = std::filesystem::path(docs_dir) / "node_modules" / "swagger-ui-dist" / name;
    if (std::filesystem::exists(dist)) path = dist;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw http::ProblemError(404, "No such document");
  std::ostringstream content;
  content << file.rdbuf();
  http::Response response;
  response.body = content.str();
  response.headers.emplace_back("Content-Type", ContentTypeOf(path));
  response.headers.emplace_back("Cache-Control", "public, max-age=3600");
  return response;
}

}  // namespace kpo::gateway
