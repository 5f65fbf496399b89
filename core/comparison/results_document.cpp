#include "core/comparison/results_document.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "core/datasets/dataset_folder.h"
#include "core/figures/labelled_sheet.h"
#include "core/figures/line_plot.h"
#include "core/io/json_file.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"

namespace sm::comparison {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using toyworld::CustomizationKind;

std::string fixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string signedFixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.*f", digits, v);
  return buf;
}

/// The row label of a method at a motion scale.
std::string rowLabel(Method method, double scale) {
  std::string label = methodInfo(method).label;
  if (method == Method::StillMoving) label += " a=" + (scale == 0 ? std::string("0") : signedFixed(scale, 1));
  return label;
}

bool sameRow(const ComparedVideo& v, CustomizationKind kind, Method method, double scale) {
  return v.customization == kind && v.method == method && v.motionScale == scale;
}

/// The measure of every video of a row, keyed by (prompt, seed) for pairing.
std::map<std::pair<int, uint64_t>, double> column(const ComparisonResult& r, CustomizationKind kind, Method method,
                                                  double scale, const std::string& measure) {
  std::map<std::pair<int, uint64_t>, double> out;
  const evaluation::Measure& m = evaluation::measureNamed(measure);
  for (const auto& v : r.videos)
    if (sameRow(v, kind, method, scale))
      if (const std::optional<double> x = m.get(v.scores)) out[{v.prompt, v.seed}] = *x;
  return out;
}

bool runs(const ComparisonResult& r, Method method) {
  for (Method m : r.config.methods)
    if (m == method) return true;
  return false;
}

struct Side {
  Method method;
  double scale = 0;
};

enum class Kind { Higher, NotLower };

ClaimCheck pairedClaim(const ComparisonResult& r, CustomizationKind kind, const std::string& claim, Side a, Side b,
                       const std::string& measure, Kind test) {
  ClaimCheck c{kind, claim, "", Verdict::NotMeasured};
  if (!runs(r, a.method) || !runs(r, b.method)) {
    c.measured =
        "not run (the config leaves out " + std::string(methodInfo(runs(r, a.method) ? b.method : a.method).id) + ")";
    return c;
  }
  const auto x = column(r, kind, a.method, a.scale, measure), y = column(r, kind, b.method, b.scale, measure);
  std::vector<double> diffs, xs, ys;
  for (const auto& [key, value] : x)
    if (const auto it = y.find(key); it != y.end()) {
      diffs.push_back(value - it->second);
      xs.push_back(value);
      ys.push_back(it->second);
    }
  if (diffs.empty()) {
    c.measured = "no paired videos";
    return c;
  }
  const evaluation::Aggregate d = evaluation::aggregate(diffs);
  c.measured = measure + " " + fixed(evaluation::aggregate(xs).mean) + " vs " + fixed(evaluation::aggregate(ys).mean) +
               "; paired difference " + signedFixed(d.mean) + " ± " + fixed(d.standardError) +
               " (n = " + std::to_string(d.count) + ")";
  const double margin = 2.0 * d.standardError;
  if (d.count < 2) {
    // One pair has no noise estimate: its sign is reported, never a verdict.
    c.measured += "; one pair: no noise estimate";
    c.verdict = Verdict::NotShown;
  } else if (test == Kind::Higher)
    c.verdict = d.mean > margin ? Verdict::Holds : d.mean > 0 ? Verdict::NotShown : Verdict::DoesNotHold;
  else
    c.verdict = d.mean >= -margin ? Verdict::Holds : Verdict::DoesNotHold;
  return c;
}

std::string customizationTitle(CustomizationKind kind) {
  return kind == CustomizationKind::Object ? "The object (DreamBooth full fine-tune, \"a sks toy\")"
                                           : "The style (LoRA, \"in sks style\")";
}

/// What each method is, as this command runs it.
std::string recipe(Method method, double interpolation) {
  switch (method) {
    case Method::Base: return "the base T2V (base T2I + motion module), no customization: the motion to keep";
    case Method::NaiveInjection:
      return "the customized T2I's spatial weights put into the T2V as they are (the object's DreamBooth weights "
             "injected; the style's LoRA merged at strength 1)";
    case Method::Interpolation:
      return "W = (1 - l) W_base + l W_custom with l = " + fixed(interpolation, 2) +
             " (for the style LoRA: the LoRA at strength l, the same blend)";
    case Method::Interleaved:
      return "the baseline: every spatial weight of the T2V (all UNet weights outside the motion modules), "
             "starting from the customized ones, fine-tuned on frozen videos of the customized T2I's pictures, "
             "each micro-batch drawn with probability 0.5 from natural videos (world videos, the prior dataset); "
             "no Motion Adapter. This is the paper's \"fine-tuning on the customization images as frozen videos, "
             "interleaved with natural videos\": the same data Still-Moving sees, without its two adapters";
    case Method::StillMoving:
      return "Spatial Adapters (rank 4) trained on the frozen videos with the Motion Adapter at a = 1 and on "
             "prior videos at a = 0 (ratio 0.5); at inference the Motion Adapter's scale is a (a = 0: removed, "
             "the paper's setting)";
    case Method::NoMotionAdapter:
      return "ablation: as Still-Moving, but the frozen videos are learned without the Motion Adapter";
    case Method::AllSpatialWeights:
      return "ablation: as Still-Moving, but every spatial weight is trained instead of the Spatial Adapters";
    case Method::NoPrior: return "ablation: as Still-Moving, but without prior preservation (frozen videos only)";
  }
  return "";
}

const std::vector<std::pair<const char*, const char*>> kColumns{{"clip_i", "CLIP-I"},
                                                                {"clip_t", "CLIP-T"},
                                                                {"motion", "motion (px/frame)"},
                                                                {"dynamic_degree", "dynamic degree"},
                                                                {"consistency", "consistency"}};

const evaluation::Aggregate* measureOf(const MethodRow& row, const std::string& name) {
  for (const auto& [n, a] : row.measures)
    if (n == name) return &a;
  return nullptr;
}

std::vector<double> stillMovingScales(const ComparisonResult& r) {
  return runs(r, Method::StillMoving) ? r.config.motionScales : std::vector<double>{};
}

/// Motion and CLIP-I against the motion scale, naive injection and the base as reference levels.
video::Frame scalePlot(const std::vector<MethodRow>& rows, CustomizationKind kind) {
  std::vector<video::Frame> panels;
  for (const auto& [measure, title] :
       {std::pair{"motion", "motion (px/frame at 256)"}, std::pair{"clip_i", "CLIP-I (fidelity to the references)"}}) {
    figures::PlotSpec spec;
    spec.title = title;
    spec.xLabel = "motion scale a";
    figures::PlotSeries sm{"Still-Moving", {}, {}, {}, {31, 119, 180}, false};
    for (const auto& row : rows)
      if (row.customization == kind && row.method == Method::StillMoving)
        if (const auto* a = measureOf(row, measure)) {
          sm.x.push_back(row.motionScale);
          sm.y.push_back(a->mean);
          sm.error.push_back(a->standardError);
        }
    if (sm.x.empty()) continue;
    const double x0 = sm.x.front(), x1 = sm.x.back();
    for (const auto& [method, rgb] : {std::pair{Method::NaiveInjection, std::array<uint8_t, 3>{255, 127, 14}},
                                      std::pair{Method::Base, std::array<uint8_t, 3>{120, 120, 120}}})
      for (const auto& row : rows)
        if (row.customization == kind && row.method == method)
          if (const auto* a = measureOf(row, measure))
            spec.series.push_back({methodInfo(method).label, {x0, x1}, {a->mean, a->mean}, {}, rgb, true});
    spec.series.insert(spec.series.begin(), sm);
    panels.push_back(figures::linePlot(spec));
  }
  return figures::sideBySide(panels);
}

/// Rows = methods (Still-Moving at a = 0 and at the extreme scales), columns =
/// every second frame, for the first prompt and seed.
video::Frame methodsSheet(const ComparisonResult& r, const fs::path& out, CustomizationKind kind) {
  std::vector<figures::LabelledRow> rows;
  if (r.config.seeds.empty()) throw std::logic_error("methodsSheet: no seeds");
  const uint64_t seed = r.config.seeds.front();
  std::vector<Side> sides;
  for (Method m : r.config.methods) {
    if (m != Method::StillMoving) {
      sides.push_back({m, 0.0});
      continue;
    }
    const auto& scales = r.config.motionScales;
    sides.push_back({m, 0.0});
    if (scales.front() != 0) sides.push_back({m, scales.front()});
    if (scales.back() != 0) sides.push_back({m, scales.back()});
  }
  for (const Side& s : sides)
    for (const auto& v : r.videos)
      if (sameRow(v, kind, s.method, s.scale) && v.prompt == 0 && v.seed == seed)
        rows.push_back({rowLabel(s.method, s.scale), video::readVideo((out / v.video).string())});
  figures::SheetLayout layout;
  layout.frameStride = 2;
  return figures::labelledSheet(rows, layout);
}

std::string measuresTable(const std::vector<MethodRow>& rows, CustomizationKind kind) {
  std::string md = "| method |";
  std::string rule = "|---|";
  for (const auto& [name, title] : kColumns) {
    md += std::string(" ") + title + " |";
    rule += "---:|";
  }
  md += " n |\n" + rule + "---:|\n";
  for (const auto& row : rows) {
    if (row.customization != kind) continue;
    md += "| " + rowLabel(row.method, row.motionScale) + " |";
    int n = 0;
    for (const auto& [name, title] : kColumns) {
      const evaluation::Aggregate* a = measureOf(row, name);
      if (a) {
        md += ' ';
        md += fixed(a->mean);
        md += " ± ";
        md += fixed(a->standardError);
        md += " |";
      } else {
        md += " - |";
      }
      if (a) n = a->count;
    }
    md += " " + std::to_string(n) + " |\n";
  }
  return md;
}

std::string minutes(double seconds) { return fixed(seconds / 60.0, 1) + " min"; }

}  // namespace

const char* verdictText(Verdict verdict) {
  switch (verdict) {
    case Verdict::Holds: return "holds";
    case Verdict::NotShown: return "not shown (within noise)";
    case Verdict::DoesNotHold: return "does not hold";
    case Verdict::NotMeasured: return "not measured";
  }
  return "";
}

std::vector<MethodRow> methodRows(const ComparisonResult& r) {
  std::vector<MethodRow> rows;
  for (const auto& plan : r.config.customizations)
    for (Method method : r.config.methods) {
      const std::vector<double> scales =
          method == Method::StillMoving ? r.config.motionScales : std::vector<double>{0.0};
      for (double scale : scales) {
        MethodRow row{plan.kind, method, scale, {}};
        for (const evaluation::Measure& m : evaluation::measureTable()) {
          std::vector<double> values;
          for (const auto& v : r.videos)
            if (sameRow(v, plan.kind, method, scale))
              if (const std::optional<double> x = m.get(v.scores)) values.push_back(*x);
          if (!values.empty()) row.measures.emplace_back(m.name, evaluation::aggregate(values));
        }
        rows.push_back(row);
      }
    }
  return rows;
}

std::vector<ClaimCheck> checkClaims(const ComparisonResult& r) {
  std::vector<ClaimCheck> out;
  const std::vector<double> scales = stillMovingScales(r);
  for (const auto& plan : r.config.customizations) {
    const CustomizationKind k = plan.kind;
    const Side sm{Method::StillMoving, 0.0};
    out.push_back(pairedClaim(r, k, "Still-Moving keeps the customized look better than naive injection (CLIP-I)", sm,
                              {Method::NaiveInjection}, "clip_i", Kind::Higher));
    out.push_back(pairedClaim(r, k, "... and better than interpolation (CLIP-I)", sm, {Method::Interpolation}, "clip_i",
                              Kind::Higher));
    out.push_back(pairedClaim(r, k, "Still-Moving's prompt fidelity is not lower than naive injection's (CLIP-T)", sm,
                              {Method::NaiveInjection}, "clip_t", Kind::NotLower));
    out.push_back(pairedClaim(r, k, "Still-Moving keeps the base T2V's motion (motion not lower)", sm, {Method::Base},
                              "motion", Kind::NotLower));
    out.push_back(pairedClaim(r, k, "Interleaved training keeps less of the customized look (CLIP-I)", sm,
                              {Method::Interleaved}, "clip_i", Kind::Higher));
    out.push_back(
        pairedClaim(r, k, "Interleaved training keeps less motion", sm, {Method::Interleaved}, "motion", Kind::Higher));
    out.push_back(pairedClaim(r, k,
                              "Without the Motion Adapter, training on frozen videos makes the video static "
                              "(Still-Moving moves more)",
                              sm, {Method::NoMotionAdapter}, "motion", Kind::Higher));
    out.push_back(pairedClaim(r, k, "Spatial Adapters keep more motion than training all spatial weights", sm,
                              {Method::AllSpatialWeights}, "motion", Kind::Higher));
    out.push_back(
        pairedClaim(r, k, "Prior preservation keeps more motion", sm, {Method::NoPrior}, "motion", Kind::Higher));
    if (scales.size() >= 2) {
      const Side low{Method::StillMoving, scales.front()}, high{Method::StillMoving, scales.back()};
      out.push_back(pairedClaim(r, k,
                                "The motion slider: a = " + signedFixed(scales.front(), 1) +
                                    " moves more than a = " + signedFixed(scales.back(), 1),
                                low, high, "motion", Kind::Higher));
      out.push_back(pairedClaim(r, k,
                                "The motion slider trades motion for fidelity: a = " + signedFixed(scales.back(), 1) +
                                    " is closer to the references than a = " + signedFixed(scales.front(), 1),
                                high, low, "clip_i", Kind::Higher));
    }
  }
  return out;
}

void writeResults(const ComparisonResult& r, const fs::path& out, jobs::JobContext& job) {
  const std::vector<MethodRow> rows = methodRows(r);
  const std::vector<ClaimCheck> claims = checkClaims(r);

  json j;
  j["config"] = r.config.toJson();
  j["evaluator"] = r.evaluator;
  j["seconds"] = r.seconds;
  j["generation_seconds"] = r.generationSeconds;
  j["videos_generated"] = r.videosGenerated;
  j["all_generation_seconds"] = r.allGenerationSeconds;
  j["trained"] = json::array();
  for (const auto& t : r.trained)
    j["trained"].push_back({{"customization", customizationId(t.customization)},
                            {"method", methodInfo(t.method).id},
                            {"file", t.file},
                            {"steps", t.steps},
                            {"seconds", t.seconds}});
  j["videos"] = json::array();
  for (const auto& v : r.videos) {
    json row{{"customization", customizationId(v.customization)},
             {"method", methodInfo(v.method).id},
             {"motion_scale", v.motionScale},
             {"prompt", v.prompt},
             {"seed", v.seed},
             {"video", v.video}};
    for (const evaluation::Measure& m : evaluation::measureTable())
      if (const std::optional<double> x = m.get(v.scores)) row[m.name] = *x;
    j["videos"].push_back(row);
  }
  j["methods"] = json::array();
  for (const auto& row : rows) {
    json m{{"customization", customizationId(row.customization)},
           {"method", methodInfo(row.method).id},
           {"motion_scale", row.motionScale}};
    for (const auto& [name, a] : row.measures)
      m[name] = {{"mean", a.mean}, {"standard_error", a.standardError}, {"count", a.count}};
    j["methods"].push_back(m);
  }
  j["claims"] = json::array();
  for (const auto& c : claims)
    j["claims"].push_back({{"customization", customizationId(c.customization)},
                           {"claim", c.claim},
                           {"measured", c.measured},
                           {"verdict", verdictText(c.verdict)}});
  util::writeFileAtomically(r.json.string(), io::dumpJson(j, 2) + "\n");

  const fs::path documentDir = r.document.parent_path().empty() ? fs::path(".") : r.document.parent_path();
  const fs::path figureDir = documentDir / "results";
  fs::create_directories(figureDir);
  std::ostringstream md;
  double trainingSeconds = 0;
  for (const auto& t : r.trained) trainingSeconds += t.seconds;
  md << "# Still-Moving on the toy world: the paper's comparison, measured\n\n"
     << "Written by `stillmoving compare` (every number below is measured by it; rerun it to reproduce).\n"
     << "Evaluator: " << r.evaluator << ". Videos: " << r.config.frames << " frames, " << r.config.size << "x"
     << r.config.size << ", DDIM " << r.config.steps << " steps, guidance " << fixed(r.config.guidance, 1) << ", fp32; "
     << r.config.seeds.size() << (r.config.seeds.size() == 1 ? " seed" : " seeds")
     << " x the prompts below per customization. Trained methods: " << r.config.trainSteps << " steps each, "
     << minutes(trainingSeconds) << " in all; " << r.videos.size() << " videos generated in "
     << minutes(r.allGenerationSeconds) << ", each scored from its MP4 file.\n\n"
     << "Measures (`stillmoving eval`): **CLIP-I** the mean cosine between each frame and each of the "
        "customization's reference pictures; **CLIP-T** between each frame and the prompt (without its motion "
        "words: the evaluator was trained on captions without them); **motion** the mean Farneback optical-flow "
        "magnitude between consecutive frames at 256x256, px/frame; **dynamic degree** the share of frame pairs "
        "whose strongest 5% of flow exceeds 6 px (VBench's rule); **consistency** the mean cosine between "
        "consecutive frames. Each cell is the mean ± standard error over the prompt x seed videos (n).\n\n"
     << "A claim is tested on paired differences (same prompt and seed): it **holds** when the mean difference "
        "exceeds twice its standard error, is **not shown** when it has the right sign but within that, and "
        "**does not hold** otherwise; a \"not lower\" claim holds unless the difference is below minus twice its "
        "standard error; a single pair gets no verdict.\n\n## The methods\n\n| method | what it is |\n|---|---|\n";
  for (Method m : r.config.methods)
    md << "| " << methodInfo(m).label << " | " << recipe(m, r.config.interpolation) << " |\n";
  md << "\n";

  for (const auto& plan : r.config.customizations) {
    const CustomizationKind k = plan.kind;
    const std::string id = customizationId(k);
    md << "## " << customizationTitle(k) << "\n\nPrompts:";
    for (const auto& p : plan.prompts) md << " \"" << p.prompt << "\";";
    md << " seeds";
    for (uint64_t s : r.config.seeds) md << " " << s;
    md << ".\n\n" << measuresTable(rows, k) << "\n| claim | measured | verdict |\n|---|---|---|\n";
    for (const auto& c : claims)
      if (c.customization == k)
        md << "| " << c.claim << " | " << c.measured << " | **" << verdictText(c.verdict) << "** |\n";
    md << "\n";
    if (!stillMovingScales(r).empty()) {
      const fs::path plot = figureDir / (id + "_motion_scale.png");
      datasets::writePng(plot.string(), scalePlot(rows, k));
      md << "![motion and CLIP-I against the motion scale, " << id << "](results/" << plot.filename().string()
         << ")\n\n";
    }
    const fs::path sheet = figureDir / (id + "_contact_sheet.png");
    datasets::writePng(sheet.string(), methodsSheet(r, out, k));
    md << "![the methods side by side, " << id << ": first prompt, seed " << r.config.seeds.front()
       << ", every second frame](results/" << sheet.filename().string() << ")\n\n";
    job.throwIfCancelled();
  }
  if (!r.config.notes.empty()) {
    std::ifstream notes(r.config.notes);
    if (!notes) throw ConfigError("\"notes\": cannot read '" + r.config.notes.string() + "'");
    md << notes.rdbuf();
  }
  util::writeFileAtomically(r.document.string(), md.str());
}

}  // namespace sm::comparison
