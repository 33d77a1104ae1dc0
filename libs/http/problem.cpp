#include "http/problem.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/utf8.hpp"

namespace kpo::http {
namespace {

std::string_view ProblemSlug(int status) {
  switch (status) {
    case 400:
      return "bad-request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not-found";
    case 405:
      return "method-not-allowed";
    case 408:
      return "request-timeout";
    case 409:
      return "conflict";
    case 413:
      return "payload-too-large";
    case 414:
      return "uri-too-long";
    case 415:
      return "unsupported-media-type";
    case 422:
      return "validation-error";
    case 429:
      return "too-many-requests";
    case 431:
      return "headers-too-large";
    case 501:
      return "not-implemented";
    case 502:
      return "bad-gateway";
    case 503:
      return "unavailable";
    case 504:
      return "gateway-timeout";
    default:
      return status >= 500 ? "internal-error" : "error";
  }
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

Response ProblemResponse(int status, std::string_view detail, const FieldErrors& errors,
                         std::string_view type) {
  boost::json::object body;
  body["type"] = type.empty() ? "/problems/" + std::string(ProblemSlug(status)) : std::string(type);
  body["title"] = ReasonPhrase(status);
  body["status"] = status;
  // A detail or field error may repeat what the client sent (a path, a field's name): JSON is UTF-8.
  body["detail"] = core::ValidUtf8(detail);
  if (!errors.empty()) {
    boost::json::object fields;
    for (const auto& [field, message] : errors) fields[core::ValidUtf8(field)] = core::ValidUtf8(message);
    body["errors"] = std::move(fields);
  }
  Response response;
  response.status = status;
  response.body = boost::json::serialize(body);
  response.headers.emplace_back("Content-Type", "application/problem+json; charset=utf-8");
  return response;
}

bool IsProblemOfType(const Response& response, std::string_view type) {
  const auto content_type = FindHeader(response.headers, "Content-Type");
  if (!content_type || !content_type->starts_with("application/problem+json")) return false;
  boost::system::error_code error;
  const auto body = boost::json::parse(response.body, error);
  if (error || !body.is_object()) return false;
  const auto* found = body.as_object().if_contains("type");
  return found != nullptr && found->is_string() && found->as_string() == type;
}

}  // namespace kpo::http
