#include "kiosk/core/png.hpp"

#include <zlib.h>

#include <cstdint>
#include <new>

namespace kiosk {
namespace {

void PutU32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

// length, type, data, CRC-32 of type and data (PNG spec §5.3).
void PutChunk(std::string& out, const char (&type)[5], std::string_view data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.append(type, 4);
  out.append(data);
  const auto* from = reinterpret_cast<const Bytef*>(out.data() + type_at);
  PutU32(out, static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), from, static_cast<uInt>(4 + data.size()))));
}

}  // namespace

std::string EncodePng(const GreyImage& image, std::string_view description) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(image.width));
  PutU32(ihdr, static_cast<uint32_t>(image.height));
  ihdr += '\x08';  // bit depth
  ihdr += '\x00';  // colour type: greyscale
  ihdr += '\x00';  // compression: deflate
  ihdr += '\x00';  // filter method 0
  ihdr += '\x00';  // no interlace
  PutChunk(out, "IHDR", ihdr);
  if (!description.empty()) {
    // iTXt: keyword, NUL, not compressed (0), method 0, empty language tag and translated keyword,
    // then the UTF-8 text. tEXt would be Latin-1 only, and captions carry names in five languages.
    std::string itxt("Description", 11);
    itxt.append(std::string_view("\0\0\0\0\0", 5));
    itxt.append(description);
    PutChunk(out, "iTXt", itxt);
  }
  // Each row behind filter type 0 (none): strokes on white compress well without the filters.
  std::string raw;
  raw.reserve(static_cast<size_t>(image.height) * (image.width + 1));
  for (int y = 0; y < image.height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(image.pixels.data()) + static_cast<size_t>(y) * image.width,
               static_cast<size_t>(image.width));
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  // compress2 fails only without memory or with a too small buffer; compressBound rules out the second.
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION) != Z_OK)
    throw std::bad_alloc();
  packed.resize(packed_size);
  PutChunk(out, "IDAT", packed);
  PutChunk(out, "IEND", "");
  return out;
}

}  // namespace kiosk
