#include "kiosk/ui/theme.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

namespace kiosk::ui {

std::filesystem::path FontPath() {
  if (const char* env = std::getenv("KIOSK_FONT"); env && *env) return env;
  return "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
}

float FontSizeFor(int width, int height) {
  float by_height = static_cast<float>(height) / 27.0f;
  float by_width = static_cast<float>(width) / 44.0f;
  return std::clamp(std::round(std::min(by_height, by_width)), 15.0f, 44.0f);
}

const char* kExtraGlyphs() {
  // – — ‘ ’ “ ” „ • … € ℹ № ⌫ ⚠ ✓ ✗ (· « » are Latin-1)
  return "\xE2\x80\x93\xE2\x80\x94\xE2\x80\x98\xE2\x80\x99\xE2\x80\x9C\xE2\x80\x9D\xE2\x80\x9E\xE2\x80\xA2"
         "\xE2\x80\xA6\xE2\x82\xAC\xE2\x84\xB9\xE2\x84\x96\xE2\x8C\xAB\xE2\x9A\xA0\xE2\x9C\x93\xE2\x9C\x97";
}

Result<Fonts> LoadFonts(float em) {
  auto path = FontPath();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return MakeError(ErrorKind::Integrity, "gui.font_missing",
                     "The font " + path.string() +
                         " is missing: install it with `apt-get install fonts-dejavu-core` (or set $KIOSK_FONT to a TTF "
                         "file that covers Latin and Cyrillic).");
  ImGuiIO& io = ImGui::GetIO();
  // The ranges must outlive the atlas build: keep them in the atlas' owner, the ImGui context.
  static ImVector<ImWchar> ranges;  // built once per process; read-only after
  if (ranges.empty()) {
    ImFontGlyphRangesBuilder b;
    static const ImWchar kBlocks[] = {0x0020, 0x00FF, 0x0100, 0x017F, 0x0400, 0x045F, 0};
    b.AddRanges(kBlocks);
    b.AddText(kExtraGlyphs());
    b.BuildRanges(&ranges);
  }
  auto bad = [&] { return MakeError(ErrorKind::Integrity, "gui.font_bad", "The font " + path.string() + " cannot be read."); };
  // Both sizes come from one copy of the file (AddFontFromFileTTF would read it twice), and the
  // atlas owns that copy: the first font frees it, the second only borrows it.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const auto size = static_cast<std::streamoff>(in.tellg());
  if (!in || size <= 0 || size > (64 << 20)) return bad();
  void* data = IM_ALLOC(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(static_cast<char*>(data), size)) {
    IM_FREE(data);
    return bad();
  }
  ImFontConfig cfg;
  cfg.OversampleH = 1;  // sharp enough at these sizes and a quarter of the atlas memory
  cfg.OversampleV = 1;
  Fonts f;
  f.body = io.Fonts->AddFontFromMemoryTTF(data, static_cast<int>(size), em, &cfg, ranges.Data);  // owns data from here
  cfg.FontDataOwnedByAtlas = false;
  f.big = io.Fonts->AddFontFromMemoryTTF(data, static_cast<int>(size), std::round(em * 1.35f), &cfg, ranges.Data);
  if (!f.body || !f.big || !io.Fonts->Build()) return bad();
  // The glyphs are rasterised into the atlas and never rebuilt (all five languages' glyphs are in
  // it from the start): the TrueType data, 0.75 MB of DejaVuSans, is not needed any more.
  io.Fonts->ClearInputData();
  return f;
}

void ApplyTheme(float em) {
  ImGui::StyleColorsDark();
  ImGuiStyle& s = ImGui::GetStyle();
  s.WindowPadding = ImVec2(em * 0.6f, em * 0.5f);
  s.FramePadding = ImVec2(em * 0.5f, em * 0.35f);
  s.ItemSpacing = ImVec2(em * 0.5f, em * 0.45f);
  s.ItemInnerSpacing = ImVec2(em * 0.4f, em * 0.3f);
  s.ScrollbarSize = em * 1.1f;  // a finger can grab it
  s.GrabMinSize = em * 1.5f;
  s.FrameRounding = em * 0.3f;
  s.WindowRounding = 0;
  s.ScrollbarRounding = em * 0.5f;
  s.WindowBorderSize = 0;
  s.TouchExtraPadding = ImVec2(em * 0.1f, em * 0.1f);
  s.Colors[ImGuiCol_WindowBg] = ImVec4(0.10f, 0.11f, 0.13f, 1.0f);
  s.Colors[ImGuiCol_ChildBg] = ImVec4(0.10f, 0.11f, 0.13f, 1.0f);
  s.Colors[ImGuiCol_Separator] = ImVec4(0.30f, 0.32f, 0.36f, 1.0f);
  s.Colors[ImGuiCol_FrameBg] = ImVec4(0.20f, 0.22f, 0.26f, 1.0f);
}

}  // namespace kiosk::ui
