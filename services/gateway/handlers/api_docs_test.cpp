// The docs endpoints serve plain files of the docs directory, Swagger UI's assets first, nothing else.
#include "gateway/handlers/api_docs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "http/problem.hpp"

namespace kpo::gateway {
namespace {

namespace fs = std::filesystem;

class ApiDocs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kpo-api-docs-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "node_modules" / "swagger-ui-dist");
    Write(dir_ / "index.html", "<html>docs</html>");
    Write(dir_ / "local.js", "local");
    Write(dir_ / "swagger-ui.css", "shadowed");
    Write(dir_ / "node_modules" / "swagger-ui-dist" / "swagger-ui.css", "body{}");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& path, const std::string& content) { std::ofstream(path) << content; }

  static int StatusOf(const std::string& dir, const std::string& name) {
    try {
      return DocsFile(dir, name).status;
    } catch (const http::ProblemError& error) {
      return error.Status();
    }
  }

  fs::path dir_;
};

TEST_F(ApiDocs, TheIndexIsHtml) {
  const auto response = DocsFile(dir_.string(), "index.html");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<html>docs</html>");
  EXPECT_EQ(http::FindHeader(response.headers, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(http::FindHeader(response.headers, "Cache-Control"), "public, max-age=3600");
}

TEST_F(ApiDocs, SwaggerUiAssetsComeFirstThenTheDirectoryItself) {
  const auto css = DocsFile(dir_.string(), "swagger-ui.css");
  EXPECT_EQ(css.body, "body{}");
  EXPECT_EQ(http::FindHeader(css.headers, "Content-Type"), "text/css; charset=utf-8");
  const auto js = DocsFile(dir_.string(), "local.js");
  EXPECT_EQ(js.body, "local");
  EXPECT_EQ(http::FindHeader(js.headers, "Content-Type"), "application/javascript; charset=utf-8");
}

TEST_F(ApiDocs, OnlyPlainExistingNamesAreServed) {
  EXPECT_EQ(StatusOf(dir_.string(), "missing.js"), 404);
  EXPECT_EQ(StatusOf(dir_.string(), ""), 404);
  EXPECT_EQ(StatusOf(dir_.string(), "../index.html"), 404);
  EXPECT_EQ(StatusOf(dir_.string(), "node_modules/swagger-ui-dist/swagger-ui.css"), 404);
  EXPECT_EQ(StatusOf(dir_.string(), ".."), 404);
}

TEST_F(ApiDocs, NeitherDirectoriesNorOtherFilesNorNamesWithANulAreServed) {
  Write(dir_ / "package.json", "{}");
  EXPECT_EQ(StatusOf(dir_.string(), "node_modules"), 404);
  EXPECT_EQ(StatusOf(dir_.string(), "."), 404);
  EXPECT_EQ(StatusOf(dir_.string(), "package.json"), 404);
  EXPECT_EQ(StatusOf(dir_.string(), std::string("swagger-ui.css\0.html", 20)), 404);
  EXPECT_EQ(StatusOf(dir_.string(), std::string("\0", 1)), 404);
  fs::create_directories(dir_ / "folder.js");
  EXPECT_EQ(StatusOf(dir_.string(), "folder.js"), 404) << "a directory is no document, whatever its name";
}

TEST_F(ApiDocs, DocumentsSayTheirTypeIsNotToBeGuessed) {
  EXPECT_EQ(http::FindHeader(DocsFile(dir_.string(), "index.html").headers, "X-Content-Type-Options"),
            "nosniff");
}

TEST_F(ApiDocs, ThePageRunsTheGatewaysOwnScriptsOnlyAndIsNeverFramed) {
  // Behind nginx the page shares the web app's origin, and so the session token in its localStorage.
  const auto headers = DocsFile(dir_.string(), "index.html").headers;
  const auto policy = std::string(http::FindHeader(headers, "Content-Security-Policy").value_or(""));
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos) << policy;
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos) << policy;
  EXPECT_EQ(http::FindHeader(headers, "X-Frame-Options"), "DENY");
  EXPECT_EQ(http::FindHeader(headers, "Referrer-Policy"), "no-referrer");
}

TEST(ApiDocsPage, HasNoInlineScriptTheContentSecurityPolicyWouldBlock) {
  std::ifstream page(std::filesystem::path(KPO_DEFAULT_DOCS_DIR) / "index.html");
  ASSERT_TRUE(page) << KPO_DEFAULT_DOCS_DIR;
  std::stringstream html;
  html << page.rdbuf();
  const std::regex inline_script("<script(?![^>]*\\ssrc=)[^>]*>", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html.str(), inline_script)) << "a script without src runs inline";
  EXPECT_FALSE(std::regex_search(html.str(), std::regex("\\son[a-z]+=", std::regex::icase)))
      << "an event handler attribute";
}

TEST(OpenApiYaml, IsServedAsYaml) {
  const auto response = OpenApiYaml("openapi: 3.1.0\n");
  EXPECT_EQ(response.body, "openapi: 3.1.0\n");
  EXPECT_EQ(http::FindHeader(response.headers, "Content-Type"), "application/yaml; charset=utf-8");
}

}  // namespace
}  // namespace kpo::gateway
