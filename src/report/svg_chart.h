#pragma once
// A small, dependency-free SVG line/scatter chart for the decision tools
// (simulate's cost vs quality, eval's quality vs strong calls). Points and
// lines carry their own labels next to them, so the chart reads without a
// legend; labels are nudged apart when they would overlap.
#include <string>
#include <vector>

namespace fulcrum {

struct ChartPoint {
  double x = 0;
  double y = 0;
  std::string label;  // drawn next to the point; empty: none
};

struct ChartSeries {
  enum class Style { markers, line, dashed } style = Style::markers;
  std::string name;   // for lines: drawn at the line's last point
  std::string color;  // any SVG color
  std::vector<ChartPoint> points;
  bool star = false;  // a star marker (the oracle)
};

struct Chart {
  std::string title;
  std::string subtitle;
  std::string x_label;
  std::string y_label;
  std::string x_format = "%.0f";  // printf formats for tick labels
  std::string y_format = "%.0f";
  std::vector<ChartSeries> series;
};

std::string render_svg(const Chart& chart);

}  // namespace fulcrum
