#include "kiosk/ui/script.hpp"

#include <cstdlib>
#include <sstream>

namespace kiosk::ui {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "quoted \"text\"" -> quoted "text"; bare text stays as it is.
bool Unquote(const std::string& s, std::string& out) {
  if (s.empty() || s[0] != '"') {
    out = s;
    return true;
  }
  out.clear();
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      return Trim(s.substr(i + 1)).empty();
    } else {
      out += s[i];
    }
  }
  return false;
}

}  // namespace

Result<std::vector<ScriptStep>> ParseScript(const std::string& text, const std::string& file_name) {
  std::vector<ScriptStep> steps;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string s = Trim(raw);
    if (s.empty() || s[0] == '#') continue;
    size_t sp = s.find_first_of(" \t");
    std::string cmd = s.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : Trim(s.substr(sp));
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorKind::Usage, "script.syntax", file_name + ":" + std::to_string(line) + ": " + why);
    };
    ScriptStep step;
    step.line = line;
    if (!Unquote(rest, step.arg)) return bad("unterminated quote in: " + s);
    if (cmd == "scan") step.op = ScriptOp::Scan;
    else if (cmd == "tap") step.op = ScriptOp::Tap;
    else if (cmd == "type") step.op = ScriptOp::Type;
    else if (cmd == "sign") step.op = ScriptOp::Sign;
    else if (cmd == "drag") step.op = ScriptOp::Drag;
    else if (cmd == "wait") step.op = ScriptOp::Wait;
    else if (cmd == "expect") step.op = ScriptOp::Expect;
    else if (cmd == "expect-not") step.op = ScriptOp::ExpectNot;
    else if (cmd == "screenshot") step.op = ScriptOp::Screenshot;
    else return bad("unknown command \"" + cmd + "\" (scan, tap, type, sign, drag, wait, expect, expect-not, screenshot)");
    bool needs_arg = step.op != ScriptOp::Sign;
    if (needs_arg && step.arg.empty()) return bad("\"" + cmd + "\" needs an argument");
    if (step.op == ScriptOp::Wait) {
      char* end = nullptr;
      long ms = std::strtol(step.arg.c_str(), &end, 10);
      if (!end || *end || ms < 0 || ms > 600000) return bad("wait takes milliseconds, 0 to 600000: \"" + step.arg + "\"");
    }
    if (step.op == ScriptOp::Drag) {
      char* end = nullptr;
      long dy = std::strtol(step.arg.c_str(), &end, 10);
      if (!end || *end || std::labs(dy) < 100 || std::labs(dy) > 400)
        return bad("drag takes pixels, 100 to 400 down or -100 to -400 up: \"" + step.arg + "\"");
    }
    if (step.op == ScriptOp::Screenshot && step.arg.find('/') != std::string::npos)
      return bad("a screenshot name is a file name without '/': \"" + step.arg + "\"");
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace kiosk::ui
