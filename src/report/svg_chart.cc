#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>

namespace fulcrum {
namespace {

constexpr double kWidth = 960, kHeight = 640;
constexpr double kLeft = 90, kRight = 260, kTop = 70, kBottom = 70;  // room for labels on the right

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string tick(const std::string& format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format.c_str(), v);
  return buf;
}

// 1, 2 or 5 x 10^k steps, about `target` of them over the range.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

}  // namespace

std::string render_svg(const Chart& chart) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : chart.series)
    for (const auto& p : s.points) {
      xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
    }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  if (xmax - xmin < 1e-12) xmin -= 1, xmax += 1;
  if (ymax - ymin < 1e-12) ymin -= 1, ymax += 1;
  const double xpad = (xmax - xmin) * 0.05, ypad = (ymax - ymin) * 0.08;
  xmin -= xpad, xmax += xpad, ymin -= ypad, ymax += ypad;
  if (xmin < 0 && xmin + xpad >= 0) xmin = 0;

  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto X = [&](double x) { return kLeft + (x - xmin) / (xmax - xmin) * pw; };
  auto Y = [&](double y) { return kTop + ph - (y - ymin) / (ymax - ymin) * ph; };

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
         "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(kLeft) + "\" y=\"30\" font-size=\"18\" font-weight=\"bold\">" + escape(chart.title) + "</text>\n";
  if (!chart.subtitle.empty())
    svg += "<text x=\"" + num(kLeft) + "\" y=\"50\" fill=\"#555\">" + escape(chart.subtitle) + "</text>\n";

  // Grid and ticks.
  const double xs = nice_step(xmax - xmin, 8), ys = nice_step(ymax - ymin, 8);
  for (double v = std::ceil(xmin / xs) * xs; v <= xmax + 1e-9; v += xs) {
    svg += "<line x1=\"" + num(X(v)) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(X(v)) + "\" y2=\"" + num(kTop + ph) +
           "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"" + num(X(v)) + "\" y=\"" + num(kTop + ph + 18) + "\" text-anchor=\"middle\" fill=\"#444\">" +
           escape(tick(chart.x_format, v)) + "</text>\n";
  }
  for (double v = std::ceil(ymin / ys) * ys; v <= ymax + 1e-9; v += ys) {
    svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(kLeft + pw) + "\" y2=\"" + num(Y(v)) +
           "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"" + num(kLeft - 8) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\" fill=\"#444\">" +
           escape(tick(chart.y_format, v)) + "</text>\n";
  }
  svg += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
         "\" fill=\"none\" stroke=\"#888\"/>\n";
  svg += "<text x=\"" + num(kLeft + pw / 2) + "\" y=\"" + num(kHeight - 25) + "\" text-anchor=\"middle\">" +
         escape(chart.x_label) + "</text>\n";
  svg += "<text transform=\"translate(25," + num(kTop + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escape(chart.y_label) + "</text>\n";

  // Lines first, markers over them, labels last (placed greedily, never on
  // top of one another).
  for (const auto& s : chart.series) {
    if (s.style == ChartSeries::Style::markers || s.points.size() < 2) continue;
    std::string d;
    for (std::size_t i = 0; i < s.points.size(); ++i)
      d += (i ? " L" : "M") + num(X(s.points[i].x)) + " " + num(Y(s.points[i].y));
    svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2\"" +
           (s.style == ChartSeries::Style::dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
  }
  std::vector<Box> placed;
  std::string labels;
  auto place = [&](double px, double py, const std::string& text, const std::string& color) {
    const double w = 7.0 * static_cast<double>(text.size()), h = 14;
    const double offsets[][2] = {{8, 4}, {8, -10}, {8, 18}, {-8 - w, 4}, {8, -24}, {8, 32}, {-8 - w, -10},
                                 {-8 - w, 18}, {8, -38}, {8, 46}, {-8 - w, -24}, {-8 - w, 32}};
    for (const auto& o : offsets) {
      Box b{px + o[0], py + o[1] - h + 3, px + o[0] + w, py + o[1] + 3};
      const bool inside = b.x0 >= 0 && b.x1 <= kWidth && b.y0 >= kTop - 10 && b.y1 <= kTop + ph + 10;
      if (!inside || std::any_of(placed.begin(), placed.end(), [&](const Box& p) { return p.overlaps(b); })) continue;
      placed.push_back(b);
      labels += "<text x=\"" + num(b.x0) + "\" y=\"" + num(py + o[1]) + "\" fill=\"" + color + "\">" + escape(text) +
                "</text>\n";
      return;
    }
    labels += "<text x=\"" + num(px + 8) + "\" y=\"" + num(py + 4) + "\" fill=\"" + color + "\">" + escape(text) + "</text>\n";
  };
  for (const auto& s : chart.series) {
    for (const auto& p : s.points) {
      const double px = X(p.x), py = Y(p.y);
      if (s.star) {
        std::string d;
        for (int k = 0; k < 10; ++k) {
          const double r = k % 2 ? 4.0 : 10.0, a = -std::numbers::pi / 2 + k * std::numbers::pi / 5;
          d += (k ? " L" : "M") + num(px + r * std::cos(a)) + " " + num(py + r * std::sin(a));
        }
        svg += "<path d=\"" + d + " Z\" fill=\"" + s.color + "\"/>\n";
      } else if (s.style == ChartSeries::Style::markers) {
        svg += "<circle cx=\"" + num(px) + "\" cy=\"" + num(py) + "\" r=\"5\" fill=\"" + s.color + "\"/>\n";
      } else {
        svg += "<circle cx=\"" + num(px) + "\" cy=\"" + num(py) + "\" r=\"2.5\" fill=\"" + s.color + "\"/>\n";
      }
      placed.push_back(Box{px - 5, py - 5, px + 5, py + 5});
    }
  }
  for (const auto& s : chart.series) {
    for (const auto& p : s.points)
      if (!p.label.empty()) place(X(p.x), Y(p.y), p.label, s.color);
    if (s.style != ChartSeries::Style::markers && !s.points.empty() && !s.name.empty())
      place(X(s.points.back().x), Y(s.points.back().y), s.name, s.color);
  }
  svg += labels;
  svg += "</svg>\n";
  return svg;
}

}  // namespace fulcrum
