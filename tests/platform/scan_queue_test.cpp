#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "platform/scan_queue.hpp"

using namespace kiosk::platform;

TEST_CASE("scans pushed from other threads arrive in order and wake the main thread") {
  std::atomic<int> wakes{0};
  ScanQueue q([&] { ++wakes; });
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) q.Push(Scan{std::to_string(i), "", "t", {}, "enter"});
  });
  std::vector<Scan> got;
  while (got.size() < 100) {
    q.Wait(std::chrono::milliseconds(500));
    for (auto& s : q.DrainScans()) got.push_back(std::move(s));
  }
  producer.join();
  for (int i = 0; i < 100; ++i) CHECK(got[i].text == std::to_string(i));
  CHECK(wakes == 100);
  CHECK_FALSE(q.Wait(std::chrono::milliseconds(1)));
}

TEST_CASE("a full queue keeps the newest scans and counts the dropped ones") {
  ScanQueue q;
  for (int i = 0; i < 1030; ++i) q.Push(Scan{std::to_string(i)});
  auto got = q.DrainScans();
  CHECK(got.size() == 1024);
  CHECK(got.front().text == "6");
  CHECK(q.Dropped() == 6);
}

TEST_CASE("AIM ids are split off, Raw() puts them back") {
  std::string t = "]d20100614141000012", s;
  SplitAim(t, s);
  CHECK(s == "]d2");
  CHECK(t == "0100614141000012");
  Scan scan{t, s};
  CHECK(scan.Raw() == "]d20100614141000012");
  std::string plain = "DEMO-00017", none;
  SplitAim(plain, none);
  CHECK(none.empty());
  CHECK(plain == "DEMO-00017");
}
