// `kiosk labels` as a person runs it, and every printed symbol read back by a real decoder: the
// PDF is turned into 300 dpi PNG pages (pdftoppm), GS1-128 and Code 128 are read by zbarimg,
// DataMatrix by dmtxread (zbar does not read DataMatrix).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "kiosk/labels/labels.hpp"
#include "support/run_process.hpp"
#include "support/test_support.hpp"

using namespace kiosk::test;
namespace fs = std::filesystem;

namespace {

struct Labels {
  TempDir dir;
  std::string data = (dir / "data").string();
  Labels() { REQUIRE(RunProcess({KioskBinary(), "--data", data, "init", "--demo"}).exit_code == 0); }
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {KioskBinary(), "--data", data, "labels"});
    return RunProcess(args);
  }
  // The PDF's pages as PNG files, in page order.
  // DataMatrix modules are over a millimetre: 150 dpi reads them and keeps dmtxread quick.
  std::vector<fs::path> Pages(const fs::path& pdf, const char* dpi = "300") {
    const fs::path prefix = dir / (pdf.stem().string() + "-page");
    auto r = RunProcess({"pdftoppm", "-r", dpi, "-gray", "-png", pdf.string(), prefix.string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::vector<fs::path> pages;
    for (const auto& e : fs::directory_iterator(dir.path()))
      if (e.path().filename().string().rfind(prefix.filename().string(), 0) == 0) pages.push_back(e.path());
    std::sort(pages.begin(), pages.end());
    return pages;
  }
};

// What a decoder read, one symbol a line, with GS1's FNC1 and separators taken out, so that
// "(01)00614141000036(21)C22B3780490" and the decoded "010061414100003621C22B3780490" compare.
std::multiset<std::string> Lines(const std::string& out) {
  std::multiset<std::string> lines;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);) {
    std::string clean;
    for (unsigned char c : line)
      if (c >= 0x20 && c < 0x7F) clean += static_cast<char>(c);
    if (!clean.empty()) lines.insert(clean);
  }
  return lines;
}

std::string Plain(const std::string& gs1_or_code) {
  std::string out;
  for (char c : gs1_or_code)
    if (c != '(' && c != ')') out += c;
  return out;
}

// dmtxread stops after `expected` symbols (else it searches the whole page for more, slowly).
std::multiset<std::string> DecodeAll(const std::vector<fs::path>& pages, bool matrix, size_t expected = 0) {
  std::multiset<std::string> all;
  for (const auto& p : pages) {
    auto r = matrix ? RunProcess({"dmtxread", "-n", "-N", std::to_string(expected), p.string()})
                    : RunProcess({"zbarimg", "--raw", "-q", "-Scode128.enable", p.string()});
    INFO(p.string() << ": " << r.err);
    for (const auto& l : Lines(r.out)) all.insert(l);
  }
  return all;
}

// zbar reports a symbol seen twice in one image once: every code here is a different symbol.
const std::vector<std::string> kCodes = {"DEMO-00008", "DEMO-00001", demo::kAvailableGs1, demo::kGoldCard, "BDG-10017"};
const std::multiset<std::string> kExpected = {
    "0100614141000036" "21" "C22B3780490",  // DEMO-00007, by its tag and by its GS1 text
    demo::kGoldCard, "BDG-10017"};

}  // namespace

TEST_CASE_FIXTURE(Labels, "GS1 DataMatrix and GS1-128 on both A4 sheets: every symbol decodes to its data") {
  for (const char* sheet : {"a4-3x7", "a4-2x7"}) {
    for (const char* sym : {"datamatrix", "gs1-128"}) {
      CAPTURE(sheet);
      CAPTURE(sym);
      const fs::path pdf = dir / (std::string(sheet) + "-" + sym + ".pdf");
      std::vector<std::string> args{"--sheet", sheet, "--symbology", sym, "--out", pdf.string(), "--json"};
      args.insert(args.end(), kCodes.begin(), kCodes.end());
      auto r = Run(args);
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
      auto doc = nlohmann::json::parse(r.out);
      REQUIRE(doc["labels"].size() == kCodes.size());
      // Expected data from what the command says it printed: units as GS1, cards and badges plain.
      std::multiset<std::string> expected;
      for (const auto& l : doc["labels"]) expected.insert(Plain(l["data"].get<std::string>()));
      for (const auto& e : kExpected) CHECK(expected.count(e) >= 1);
      CHECK(doc["labels"][0]["data"].get<std::string>().rfind("(01)", 0) == 0);
      CHECK(doc["labels"][0]["title"].get<std::string>().rfind("DEMO-00008", 0) == 0);
      const bool matrix = std::string(sym) == "datamatrix";
      auto pages = Pages(pdf, matrix ? "150" : "300");
      REQUIRE(pages.size() == 1);
      const auto decoded = DecodeAll(pages, matrix, expected.size());
      CHECK(decoded == expected);
    }
  }
}

TEST_CASE_FIXTURE(Labels, "22 labels fill a 21-label sheet and start a second page") {
  std::vector<std::string> args{"--sheet", "a4-3x7", "--symbology", "gs1-128", "--out", (dir / "many.pdf").string()};
  std::multiset<std::string> expected;
  for (int i = 1; i <= 22; ++i) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "DEMO-%05d", i);
    args.push_back(tag);
  }
  auto r = Run(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("22 labels written") != std::string::npos);
  auto pages = Pages(dir / "many.pdf");
  REQUIRE(pages.size() == 2);
  CHECK(DecodeAll({pages[0]}, false).size() == 21);
  CHECK(DecodeAll({pages[1]}, false).size() == 1);
}

TEST_CASE_FIXTURE(Labels, "ZPL: one label per item, GS1 with FNC1, the data as text too") {
  auto r = Run({"--sheet", "zpl", "--out", "-", "DEMO-00007", demo::kGoldCard});
  REQUIRE(r.exit_code == 0);
  const std::string& z = r.out;
  auto count = [&](const std::string& s) {
    size_t n = 0;
    for (size_t at = z.find(s); at != std::string::npos; at = z.find(s, at + 1)) ++n;
    return n;
  };
  CHECK(count("^XA") == 2);
  CHECK(count("^XZ") == 2);
  CHECK(count("^BXN") == 2);
  // GS1 DataMatrix: FNC1 first ("_1" with '_' as the escape character); (01) is fixed-length, so
  // no separator before (21).
  CHECK(z.find("^FD_10100614141000036" "21C22B3780490^FS") != std::string::npos);
  CHECK(z.find("^FD(01) 00614141000036^FS") != std::string::npos);
  CHECK(z.find(std::string("^FD") + demo::kGoldCard + "^FS") != std::string::npos);
  auto c128 = Run({"--sheet", "zpl", "--symbology", "gs1-128", "--out", "-", "DEMO-00007"});
  CHECK(c128.out.find("^BCN,200,N,N,N,D^FD(01)00614141000036(21)C22B3780490^FS") != std::string::npos);
}

TEST_CASE_FIXTURE(Labels, "a blocked card, an unknown code or a bad sheet: an error and no file") {
  const fs::path out = dir / "none.pdf";
  auto blocked = Run({"--out", out.string(), "DEMO-00007", demo::kBlockedCard});
  CHECK(blocked.exit_code == 1);
  CHECK(blocked.err.find("blocked") != std::string::npos);
  auto unknown = Run({"--out", out.string(), "DEMO-99999"});
  CHECK(unknown.exit_code == 1);
  CHECK(Run({"--out", out.string(), "--sheet", "letter", "DEMO-00007"}).exit_code == 2);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("the library refuses data its symbology cannot hold, before writing anything") {
  TempDir dir;
  const auto* layout = kiosk::labels::FindSheetLayout("a4-2x7");
  REQUIRE(layout);
  // (01) holds 14 digits: libzint's GS1 validation refuses a letter in it.
  auto s = kiosk::labels::WritePdf({{"bad", "(01)0061414100003A", true}}, kiosk::labels::Symbology::DataMatrix, *layout,
                                   dir / "bad.pdf");
  CHECK_FALSE(s.ok());
  CHECK(s.error().code == "labels.encode");
  CHECK_FALSE(fs::exists(dir / "bad.pdf"));
  // A wrong check digit would scan as another product: refused too, not printed with a warning.
  auto digit = kiosk::labels::WritePdf({{"bad", "(01)00614141000037", true}}, kiosk::labels::Symbology::Code128,
                                       *layout, dir / "digit.pdf");
  CHECK_FALSE(digit.ok());
  CHECK_FALSE(fs::exists(dir / "digit.pdf"));
  CHECK_FALSE(kiosk::labels::WritePdf({}, kiosk::labels::Symbology::Code128, *layout, dir / "empty.pdf").ok());
}
