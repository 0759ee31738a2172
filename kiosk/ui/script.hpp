#pragma once
// The script language of `kiosk gui --script FILE`: one command a line, `#` starts a comment.
//   scan TEXT          a barcode arrives, as from a scanner
//   tap "Label"        a touch on the button (or field) showing Label (or with that id, e.g. key:a)
//   type TEXT          typed key by key on the on-screen keyboard of the focused field
//   sign               a finger stroke across the signature pad
//   drag DY            a finger drags the screen's content DY pixels down (negative: up), as a
//                      person scrolls; 100 to 400 either way, so the finger leaves what it touched
//   wait MS            nothing happens for MS milliseconds
//   expect "Text"      Text is on screen within 5 s, else the script fails
//   expect-not "Text"  Text is not on screen once the app is idle
//   screenshot NAME    saves DIR/NAME.png (with --screenshots DIR)
// Arguments may be quoted; inside quotes \" and \\ escape.
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk::ui {

enum class ScriptOp { Scan, Tap, Type, Sign, Drag, Wait, Expect, ExpectNot, Screenshot };

struct ScriptStep {
  ScriptOp op = ScriptOp::Wait;
  std::string arg;
  int line = 0;  // 1-based, for messages
};

Result<std::vector<ScriptStep>> ParseScript(const std::string& text, const std::string& file_name);

}  // namespace kiosk::ui
