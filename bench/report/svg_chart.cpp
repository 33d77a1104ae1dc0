#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kpo::bench {
namespace {

constexpr double kWidth = 680;
constexpr double kHeight = 360;
constexpr double kLeft = 70;
constexpr double kRight = 170;  // room for the legend
constexpr double kTop = 34;
constexpr double kBottom = 50;

// 1, 2 or 5 times a power of ten: the tick step for about `ticks` intervals over [0, span].
double NiceStep(double span, int ticks) {
  const double raw = span / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string Number(double v) {
  if (std::fabs(v) >= 1000) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 10 || v == std::floor(v)) return fmt::format("{:g}", std::round(v * 10) / 10);
  return fmt::format("{:g}", v);
}

struct Scale {
  double x_max = 1;
  double y_min = 0;  // log10 of the bottom when log_y
  double y_max = 1;
  bool log_y = false;
  double X(double x) const { return kLeft + x / x_max * (kWidth - kLeft - kRight); }
  double Y(double y) const {
    const double v = log_y ? std::log10(y) : y;
    return kHeight - kBottom - (v - y_min) / (y_max - y_min) * (kHeight - kTop - kBottom);
  }
};

Scale Fit(const Chart& chart) {
  Scale s;
  s.log_y = chart.log_y;
  double lo = 1e300;
  double hi = 0;
  for (const auto& series : chart.series) {
    for (const auto& [x, y] : series.points) {
      s.x_max = std::max(s.x_max, x);
      if (chart.log_y && y <= 0) continue;
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  }
  s.x_max = NiceStep(s.x_max, 5) * std::ceil(s.x_max / NiceStep(s.x_max, 5));
  if (chart.log_y) {
    s.y_min = lo < 1e300 ? std::floor(std::log10(lo)) : 0;
    s.y_max = std::max(s.y_min + 1, std::ceil(std::log10(std::max(hi, 1e-9))));
  } else {
    const double step = NiceStep(std::max(hi, 1e-9), 5);
    s.y_max = step * std::ceil(std::max(hi, 1e-9) / step);
  }
  return s;
}

std::string Axes(const Chart& chart, const Scale& s) {
  std::string out;
  const double bottom = kHeight - kBottom;
  const double right = kWidth - kRight;
  const double x_step = NiceStep(s.x_max, 5);
  for (double x = 0; x <= s.x_max * 1.0001; x += x_step) {
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" class="grid"/>)", s.X(x), kTop,
                       bottom);
    out += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", s.X(x), bottom + 16,
                       Number(x));
  }
  std::vector<double> ticks;
  if (s.log_y) {
    for (double e = s.y_min; e <= s.y_max + 1e-9; e += 1) ticks.push_back(std::pow(10.0, e));
  } else {
    const double step = NiceStep(s.y_max, 5);
    for (double y = 0; y <= s.y_max * 1.0001; y += step) ticks.push_back(y);
  }
  for (const double y : ticks) {
    out += fmt::format(R"(<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" class="grid"/>)", kLeft, s.Y(y),
                       right);
    out += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)", kLeft - 6, s.Y(y) + 4,
                       Number(y));
  }
  out += fmt::format(R"(<text x="{:.0f}" y="{}" text-anchor="middle">{}</text>)", (kLeft + right) / 2,
                     kHeight - 10, Escape(chart.x_label));
  out += fmt::format(
      R"svg(<text x="16" y="{:.0f}" text-anchor="middle" transform="rotate(-90 16 {:.0f})">{}</text>)svg",
      (kTop + bottom) / 2, (kTop + bottom) / 2, Escape(chart.y_label));
  return out;
}

std::string Lines(const Chart& chart, const Scale& s) {
  std::string out;
  double legend_y = kTop + 6;
  for (const auto& series : chart.series) {
    std::string path;
    for (const auto& [x, y] : series.points) {
      if (chart.log_y && y <= 0) continue;
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", s.X(x), s.Y(y));
      out +=
          fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="{}"/>)", s.X(x), s.Y(y), series.color);
    }
    out += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="2"{}/>)", path, series.color,
                       series.dashed ? R"( stroke-dasharray="6 4")" : "");
    const double lx = kWidth - kRight + 12;
    out +=
        fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"{}/>)", lx, legend_y,
                    lx + 22, legend_y, series.color, series.dashed ? R"( stroke-dasharray="6 4")" : "");
    out += fmt::format(R"(<text x="{}" y="{}">{}</text>)", lx + 28, legend_y + 4, Escape(series.label));
    legend_y += 18;
  }
  return out;
}

}  // namespace

std::string Escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderSvg(const Chart& chart) {
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)", kWidth,
      kHeight);
  out += fmt::format(R"(<text x="{}" y="20" class="title">{}</text>)", kLeft, Escape(chart.title));
  bool any = false;
  for (const auto& series : chart.series) any = any || !series.points.empty();
  if (!any) return out + R"(<text x="300" y="180">no data</text></svg>)";
  const auto scale = Fit(chart);
  return out + Axes(chart, scale) + Lines(chart, scale) + "</svg>";
}

}  // namespace kpo::bench
