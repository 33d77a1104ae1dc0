#include "dlq/commands.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iomanip>
#include <string>
#include <vector>

namespace kpo::dlq {
namespace {

using messaging::AmqpSettings;
using messaging::Delivery;

std::string Header(const messaging::Message& m, const std::string& name) {
  for (const auto& [key, value] : m.headers) {
    if (key == name) return value;
  }
  return {};
}

// Why it died: our own reason when the consumer dead-lettered it, else what the broker recorded
// (rejected, delivery_limit, ...).
std::string Reason(const messaging::Message& m) {
  auto error = Header(m, messaging::kErrorHeader);
  if (!error.empty()) return error;
  auto broker = Header(m, "x-first-death-reason");
  return broker.empty() ? "" : "broker: " + broker;
}

boost::json::object ToJson(const std::string& queue, const Delivery& delivery) {
  const auto& m = delivery.message;
  boost::json::object headers;
  for (const auto& [name, value] : m.headers) headers[name] = value;
  return {{"queue", queue + ".dlq"},
          {"messageId", m.message_id},
          {"type", m.type},
          {"correlationId", m.correlation_id},
          {"service", Header(m, messaging::kServiceHeader)},
          {"failedAt", Header(m, messaging::kFailedAtHeader)},
          {"error", Reason(m)},
          {"headers", headers},
          {"body", m.body}};
}

// A table of rows; each column as wide as its widest cell (the last column is not padded).
void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c + 1 < row.size()) {
        out << std::left << std::setw(static_cast<int>(widths[c] + 2)) << row[c];
      } else {
        out << row[c];
      }
    }
    out << '\n';
  }
}

std::string Shorten(std::string text, std::size_t max) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

int Queues(const Options& options, const AmqpSettings& settings, std::ostream& out) {
  std::vector<std::vector<std::string>> rows{{"QUEUE", "DEAD LETTERS"}};
  for (const auto& queue : options.queues) {
    // A failed passive declare closes the channel: one connection per queue.
    std::string depth;
    try {
      depth = std::to_string(messaging::Connection(settings).QueueDepth(queue + ".dlq"));
    } catch (const messaging::AmqpError& error) {
      if (!error.IsNotFound()) throw;
      depth = "missing";
    }
    if (options.json) {
      out << boost::json::serialize(boost::json::object{{"queue", queue + ".dlq"}, {"depth", depth}}) << '\n';
    }
    rows.push_back({queue + ".dlq", depth});
  }
  if (!options.json) PrintTable(out, rows);
  return 0;
}

int ListOrShow(const Options& options, const AmqpSettings& settings, std::ostream& out) {
  const bool show = options.command == "show";
  std::vector<std::vector<std::string>> rows{
      {"QUEUE", "MESSAGE ID", "TYPE", "ORDER", "SERVICE", "FAILED AT", "ERROR"}};
  bool found = false;
  for (const auto& queue : options.queues) {
    messaging::Connection connection(settings);
    for (const auto& delivery : connection.Get(queue + ".dlq", options.max, /*remove=*/false)) {
      const auto& m = delivery.message;
      if (show && m.message_id != options.message_id) continue;
      found = true;
      if (options.json || show) {
        const auto json = ToJson(queue, delivery);
        out << (options.json ? boost::json::serialize(json) : "") << (options.json ? "\n" : "");
        if (!options.json) {
          for (const auto& [key, value] : json) {
            if (key == "headers") continue;
            out << std::left << std::setw(15) << std::string(key) + ":" << std::string(value.as_string())
                << '\n';
          }
          for (const auto& [name, value] : m.headers) out << "header " << name << ": " << value << '\n';
        }
        continue;
      }
      rows.push_back({queue + ".dlq", m.message_id, m.type, m.correlation_id,
                      Header(m, messaging::kServiceHeader), Header(m, messaging::kFailedAtHeader),
                      Shorten(Reason(m), 60)});
    }
  }
  if (!options.json && !show) PrintTable(out, rows);
  if (show && !found) {
    out << "no dead letter " << options.message_id << '\n';
    return 1;
  }
  return 0;
}

int Settle(const Options& options, const AmqpSettings& settings, std::ostream& out) {
  const bool replay = options.command == "replay";
  if (options.all) {
    for (const auto& queue : options.queues) {
      const auto replayed = messaging::ReplayDeadLetters(settings, queue, options.max);
      out << "replayed " << replayed << " message(s) from " << queue << ".dlq\n";
    }
    return 0;
  }
  const auto action = replay ? messaging::DeadLetterAction::kReplay : messaging::DeadLetterAction::kDiscard;
  for (const auto& queue : options.queues) {
    if (messaging::SettleDeadLetter(settings, queue, options.message_id, action, options.max)) {
      out << (replay ? "replayed " : "discarded ") << options.message_id << " from " << queue << ".dlq\n";
      return 0;
    }
  }
  out << "no dead letter " << options.message_id << (replay ? " (or its replay was not confirmed)" : "")
      << '\n';
  return 1;
}

}  // namespace

int Run(const Options& options, const AmqpSettings& settings, std::ostream& out) {
  if (options.command == "queues") return Queues(options, settings, out);
  if (options.command == "list" || options.command == "show") return ListOrShow(options, settings, out);
  return Settle(options, settings, out);
}

}  // namespace kpo::dlq
