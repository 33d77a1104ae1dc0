// The OpenAPI document embedded in the gateway and the routes it serves must agree: every served route is
// documented, and every documented operation is served.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/routes.hpp"

namespace kpo::gateway {
namespace {

// "GET /api/orders/{id}": a method (upper-case) and a path pattern.
using Operation = std::string;

Operation OperationOf(std::string_view method, std::string_view path) {
  std::string out;
  for (char c : method) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += ' ';
  out += path;
  return out;
}

constexpr std::string_view kMethodKeys[] = {"get", "post", "put", "patch", "delete", "options", "head"};

// Served but deliberately not in the document: the Swagger UI asset files behind /api/docs.
constexpr std::string_view kUndocumentedPattern = "/api/docs/{file}";

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::size_t IndentOf(std::string_view line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string_view::npos ? line.size() : first;
}

std::string_view TrimRight(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The key of a "key:" line (no value on the line), unquoted; empty when the line is not one.
std::string_view BareKey(std::string_view line) {
  line = TrimRight(line.substr(IndentOf(line)));
  if (line.size() < 2 || line.back() != ':') return {};
  line.remove_suffix(1);
  line = TrimRight(line);
  if (line.size() >= 2 && (line.front() == '\'' || line.front() == '"') && line.back() == line.front()) {
    line = line.substr(1, line.size() - 2);
  }
  return line;
}

// The operations under the document's top-level `paths:` mapping: path keys are indented exactly two spaces,
// method keys exactly four spaces below them. Blank lines and comments are skipped; deeper lines (parameters,
// responses, block scalars) are never path or method keys at those indents. Ends at the next top-level key.
std::multiset<Operation> DocumentedOperations(std::string_view document) {
  std::multiset<Operation> operations;
  bool in_paths = false;
  std::string_view path;
  for (auto line : SplitLines(document)) {
    const auto indent = IndentOf(line);
    if (indent == line.size() || line[indent] == '#') continue;
    if (indent == 0) {
      in_paths = TrimRight(line) == "paths:";
      path = {};
      continue;
    }
    if (!in_paths) continue;
    if (indent == 2) {
      path = BareKey(line);
    } else if (indent == 4 && !path.empty()) {
      const auto key = BareKey(line);
      if (std::find(std::begin(kMethodKeys), std::end(kMethodKeys), key) != std::end(kMethodKeys)) {
        operations.insert(OperationOf(key, path));
      }
    }
  }
  return operations;
}

std::multiset<Operation> ServedOperations() {
  std::multiset<Operation> operations;
  for (const auto& route : RouteTable()) operations.insert(OperationOf(route.method, route.pattern));
  return operations;
}

bool IsIgnoredRoute(const RouteSpec& route) {
  return route.method == "OPTIONS" || route.method == "HEAD" || route.pattern == kUndocumentedPattern;
}

TEST(OpenApiRoutes, ScannerReadsOnlyPathAndMethodKeys) {
  constexpr std::string_view kSample =
      "openapi: 3.1.0\n"
      "info:\n"
      "  title: sample\n"
      "  description: |\n"
      "    get:\n"
      "paths:\n"
      "  # a comment\n"
      "  /a:\n"
      "    parameters:\n"
      "      - name: x\n"
      "    get:\n"
      "      description: |\n"
      "        post:\n"
      "\n"
      "      responses:\n"
      "        '200':\n"
      "          description: ok\n"
      "    post:\n"
      "  '/b/{id}':\r\n"
      "    delete:  \r\n"
      "    summary: not a method\n"
      "components:\n"
      "  /c:\n"
      "    get:\n";
  const std::multiset<Operation> expected = {"GET /a", "POST /a", "DELETE /b/{id}"};
  EXPECT_EQ(DocumentedOperations(kSample), expected);
}

TEST(OpenApiRoutes, DocumentIsOpenApi31WithPaths) {
  const auto document = OpenApiDocument();
  ASSERT_FALSE(document.empty()) << "openapi.yaml was not embedded";
  EXPECT_EQ(document.substr(0, document.find('\n')), "openapi: 3.1.0");
  EXPECT_FALSE(DocumentedOperations(document).empty()) << "no operations found under paths:";
}

TEST(OpenApiRoutes, NoOperationIsListedTwice) {
  const auto documented = DocumentedOperations(OpenApiDocument());
  for (const auto& operation : std::set<Operation>(documented.begin(), documented.end())) {
    EXPECT_EQ(documented.count(operation), 1U) << operation << " is documented more than once";
  }
  const auto served = ServedOperations();
  for (const auto& operation : std::set<Operation>(served.begin(), served.end())) {
    EXPECT_EQ(served.count(operation), 1U) << operation << " is in RouteTable() more than once";
  }
}

TEST(OpenApiRoutes, EveryServedRouteIsDocumented) {
  const auto documented = DocumentedOperations(OpenApiDocument());
  for (const auto& route : RouteTable()) {
    if (IsIgnoredRoute(route)) continue;
    const auto operation = OperationOf(route.method, route.pattern);
    EXPECT_TRUE(documented.contains(operation)) << operation << " is served but missing from openapi.yaml";
  }
}

TEST(OpenApiRoutes, EveryDocumentedOperationIsServed) {
  const auto served = ServedOperations();
  for (const auto& operation : DocumentedOperations(OpenApiDocument())) {
    EXPECT_TRUE(served.contains(operation)) << operation << " is in openapi.yaml but not served";
  }
}

}  // namespace
}  // namespace kpo::gateway
