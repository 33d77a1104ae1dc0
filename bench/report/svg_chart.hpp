#pragma once
// Line charts as inline SVG (no scripts, no external assets), for the HTML report.
#include <string>
#include <utility>
#include <vector>

namespace kpo::bench {

struct Series {
  std::string label;
  std::string color;                              // any CSS colour
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in the order given
  bool dashed = false;
};

struct Chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;  // y on a log10 scale (non-positive values are left out)
  std::vector<Series> series;
};

// An <svg> element of fixed size; an empty chart says "no data".
std::string RenderSvg(const Chart& chart);

// Escapes text for HTML/SVG content and attribute values.
std::string Escape(const std::string& text);

}  // namespace kpo::bench
