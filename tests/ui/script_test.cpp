#include <doctest/doctest.h>

#include "kiosk/ui/script.hpp"

using namespace kiosk::ui;

TEST_CASE("a script parses into steps with their lines") {
  auto s = ParseScript("# comment\n\nscan BDG-10017\ntap \"Check out units\"\ntype Acme Oy\nwait 250\n"
                       "expect \"say \\\"hi\\\"\"\nexpect-not Gone\nsign\nscreenshot home\n",
                       "t.txt");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 8);
  CHECK((*s)[0].op == ScriptOp::Scan);
  CHECK((*s)[0].arg == "BDG-10017");
  CHECK((*s)[0].line == 3);
  CHECK((*s)[1].arg == "Check out units");
  CHECK((*s)[2].arg == "Acme Oy");
  CHECK((*s)[3].op == ScriptOp::Wait);
  CHECK((*s)[4].arg == "say \"hi\"");
  CHECK((*s)[5].op == ScriptOp::ExpectNot);
  CHECK((*s)[6].op == ScriptOp::Sign);
  CHECK((*s)[7].op == ScriptOp::Screenshot);
}

TEST_CASE("script errors name the file, the line and what is wrong") {
  auto bad = ParseScript("scan X\nclick \"OK\"\n", "flow.txt");
  REQUIRE(!bad.ok());
  CHECK(bad.error().message.find("flow.txt:2") != std::string::npos);
  CHECK(bad.error().message.find("unknown command \"click\"") != std::string::npos);
  CHECK(!ParseScript("tap \"unterminated\n", "f").ok());
  CHECK(!ParseScript("wait soon\n", "f").ok());
  CHECK(!ParseScript("wait -5\n", "f").ok());
  CHECK(!ParseScript("tap\n", "f").ok());
  CHECK(!ParseScript("screenshot ../escape\n", "f").ok());
  CHECK(!ParseScript("drag\n", "f").ok());
  CHECK(!ParseScript("drag 50\n", "f").ok());    // the finger would let go on what it touched
  CHECK(!ParseScript("drag -900\n", "f").ok());  // more than the screen holds
  CHECK(!ParseScript("drag up\n", "f").ok());
}

TEST_CASE("drag takes pixels either way") {
  auto s = ParseScript("drag 400\ndrag -120\n", "t.txt");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 2);
  CHECK((*s)[0].op == ScriptOp::Drag);
  CHECK((*s)[0].arg == "400");
  CHECK((*s)[1].arg == "-120");
}
