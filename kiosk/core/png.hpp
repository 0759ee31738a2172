#pragma once
// A PNG writer for greyscale pictures over zlib: the PNG export of a checkout's signature
// (signature.hpp). Written here because Debian's stb is a GUI-side dependency and kiosk/core
// stays headless and small; zlib is what every PNG uses anyway. Pure code: any thread.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk {

// An 8-bit greyscale picture, row by row from the top; 0 is black, 255 white.
struct GreyImage {
  int width = 0;   // pixels
  int height = 0;  // pixels
  std::vector<unsigned char> pixels;  // width * height
  unsigned char At(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
};

// A PNG file of `image` (colour type 0, bit depth 8, one IDAT compressed with zlib), with
// `description` in an iTXt chunk when not empty (UTF-8).
std::string EncodePng(const GreyImage& image, std::string_view description = {});

}  // namespace kiosk
