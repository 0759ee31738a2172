#include <doctest/doctest.h>

#include "kiosk/ui/idle_policy.hpp"

using kiosk::ui::IdlePolicy;

namespace {
// Draws frames while the policy wants them (no script); returns how many.
int DrawUntilIdle(IdlePolicy& p) {
  int drawn = 0;
  while (p.Draws(false) && drawn < 100) {
    p.FrameDrawn();
    ++drawn;
  }
  return drawn;
}
}  // namespace

TEST_CASE("the first frames settle the layout, then the loop sleeps") {
  IdlePolicy p;
  CHECK(DrawUntilIdle(p) == IdlePolicy::kStartFrames);
  CHECK_FALSE(p.Draws(false));
}

TEST_CASE("a touch wants three frames, a change two, a busy widget one, and the most wanted wins") {
  IdlePolicy p;
  DrawUntilIdle(p);
  p.OnInput();
  CHECK(DrawUntilIdle(p) == 3);
  p.OnChange();
  CHECK(DrawUntilIdle(p) == 2);
  p.OnWidgetBusy();
  CHECK(DrawUntilIdle(p) == 1);
  p.OnResult();
  CHECK(DrawUntilIdle(p) == 2);
  p.OnInput();
  p.OnChange();
  p.OnWidgetBusy();
  CHECK(DrawUntilIdle(p) == 3);
}

TEST_CASE("the script driver keeps the loop drawing, and its frames leave no debt") {
  IdlePolicy p;
  DrawUntilIdle(p);
  for (int i = 0; i < 5; ++i) {
    CHECK(p.Draws(true));
    p.FrameDrawn();
  }
  CHECK_FALSE(p.Draws(false));
  p.OnChange();  // a result after the script's frames still gets both of its frames
  CHECK(DrawUntilIdle(p) == 2);
}

TEST_CASE("the loop sleeps until the earliest wake-up, or until an event when none is scheduled") {
  IdlePolicy::Wakeups w;
  CHECK(IdlePolicy::WakeAt(w) == -1);
  CHECK(IdlePolicy::WaitSeconds(IdlePolicy::WakeAt(w), 1000) == doctest::Approx(-1.0));
  w.controller = 9000;  // a banner expires
  CHECK(IdlePolicy::WakeAt(w) == 9000);
  w.wedge = 7000;  // a wedge burst is decided after its pause
  CHECK(IdlePolicy::WakeAt(w) == 7000);
  w.watchdog = 8000;
  CHECK(IdlePolicy::WakeAt(w) == 7000);
  w.exit = 6500;
  CHECK(IdlePolicy::WakeAt(w) == 6500);
  CHECK(IdlePolicy::WaitSeconds(6500, 5000) == doctest::Approx(1.5));
}

// Issue 20: `wait 500` then `screenshot` hung until a banner or the idle timer woke the loop.
TEST_CASE("a script's wait wakes the loop when it ends, not at the next banner or idle timer") {
  IdlePolicy p;
  DrawUntilIdle(p);
  IdlePolicy::Wakeups w;
  w.controller = 1000 + 15000;  // an error banner's expiry
  w.script = 1000 + 500;        // `wait 500` begun at 1000
  CHECK_FALSE(p.Draws(false));  // the wait itself draws nothing
  CHECK(IdlePolicy::WakeAt(w) == 1500);
  CHECK(IdlePolicy::WaitSeconds(IdlePolicy::WakeAt(w), 1000) == doctest::Approx(0.5));
  // Woken late (the machine was busy): no negative wait, the step runs at once.
  CHECK(IdlePolicy::WaitSeconds(IdlePolicy::WakeAt(w), 1700) == doctest::Approx(0.0));
}

TEST_CASE("free pages are handed back once per idle period, after work, with the worker idle") {
  IdlePolicy p;
  CHECK_FALSE(p.TakeTrim(false));  // the worker is still busy
  CHECK(p.TakeTrim(true));
  CHECK_FALSE(p.TakeTrim(true));  // once per idle period
  p.OnChange();                   // a redraw alone is not work worth a trim
  CHECK_FALSE(p.TakeTrim(true));
  p.OnResult();
  CHECK(p.TakeTrim(true));
}

TEST_CASE("start-up's code is handed back once, at the first idle period's trim") {
  IdlePolicy p;
  CHECK_FALSE(p.TakeStartupOver());  // still starting: the first trim has not happened
  CHECK_FALSE(p.TakeTrim(false));    // the worker is still loading the first screen
  CHECK_FALSE(p.TakeStartupOver());
  CHECK(p.TakeTrim(true));
  CHECK(p.TakeStartupOver());
  CHECK_FALSE(p.TakeStartupOver());  // once per run
  p.OnResult();
  CHECK(p.TakeTrim(true));
  CHECK_FALSE(p.TakeStartupOver());
}
