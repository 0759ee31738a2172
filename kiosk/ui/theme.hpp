#pragma once
// Fonts and the touch theme. Every size derives from the font size, which derives from the window.
#include <filesystem>
#include <string>
#include <vector>

#include <imgui.h>

#include "kiosk/core/result.hpp"
#include "kiosk/ui/widgets.hpp"

namespace kiosk::ui {

// DejaVuSans from fonts-dejavu-core, or $KIOSK_FONT.
std::filesystem::path FontPath();
// Font size in pixels for a framebuffer: 22 px at 1024x600 (buttons of 2.4 em = 53 px).
float FontSizeFor(int width, int height);
// Adds the body and big fonts to the current ImGui context's atlas and builds it. The glyph ranges
// cover Latin, Latin Extended-A, Cyrillic and the few symbols the UI draws. The atlas keeps only
// its glyphs: it cannot be rebuilt later.
Result<Fonts> LoadFonts(float em);
// The symbols beyond the letter blocks that the UI uses (banner icons, backspace, quotes, euro).
const char* kExtraGlyphs();
void ApplyTheme(float em);

}  // namespace kiosk::ui
