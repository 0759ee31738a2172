#pragma once
// Fake HttpClients (kiosk/sync/http_client.hpp's port) for the app's unit tests: a central that
// cannot be reached, and a scripted central that answers an enrolment as kiosk-central does.
// Tests of the sync protocol itself talk to a real kiosk-central on loopback instead.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kiosk/sync/http_client.hpp"
#include "kiosk/sync/protocol.hpp"

namespace kiosk::test {

// The central cannot be reached: every request fails like a refused connection. Counts the
// requests tried (a showroom synced only by stick makes none after its enrolment).
class DownHttp final : public platform::HttpClient {
 public:
  Result<platform::HttpResponse> Send(const platform::HttpRequest& r) override {
    ++requests;
    return MakeError(ErrorKind::Network, "net.refused", "Cannot connect to " + r.url + ": connection refused.");
  }
  int requests = 0;
};

// A central on the other end of a fake HttpClient: it holds one open enrolment code and answers
// /v1/enroll as kiosk-central does (the sealed journal key must open with the code's secret, the
// answer proves the central knows the code). Everything else fails like a refused connection, so
// the sync rounds that start after enrolment go nowhere. Counts the enrolment requests it sees.
struct FakeCentral {
  static constexpr const char* kCode = "7K3QD-XN4RW-2HBTV-9MPGC";
  static constexpr const char* kPublicKey = "8f2c4a9e1b7d3f6a0c5e9b2d4f8a1c7e3b6d0f9a2c5e8b1d4f7a0c3e6b9d2f5a";
  std::shared_ptr<std::atomic<int>> enrol_requests = std::make_shared<std::atomic<int>>(0);

  class Http final : public platform::HttpClient {
   public:
    explicit Http(std::shared_ptr<std::atomic<int>> n) : m_n(std::move(n)) {}
    Result<platform::HttpResponse> Send(const platform::HttpRequest& r) override {
      const std::string path = "/v1/enroll";
      if (r.url.size() < path.size() || r.url.compare(r.url.size() - path.size(), path.size(), path) != 0)
        return MakeError(ErrorKind::Network, "net.refused", "Cannot connect to " + r.url + ": connection refused.");
      ++*m_n;
      auto j = nlohmann::json::parse(r.body);
      const std::string kiosk_id = j.at("kiosk_id");
      const auto& sk = j.at("sealed_key");
      const std::string secret = sync::DeriveEnrolSecret(sync::NormalizeEnrolCode(kCode), kiosk_id);
      if (!sync::OpenJournalKey(secret, kiosk_id, {sk.at("iv"), sk.at("ct"), sk.at("tag")}).ok())
        return platform::HttpResponse{403, {}, sync::ErrorBody(MakeError(ErrorKind::Refused, "enrol.bad_code",
                                                                         "The enrolment code does not match."))};
      nlohmann::json out{{"kiosk_id", kiosk_id},
                         {"central_public_key", kPublicKey},
                         {"confirm", sync::EnrolConfirmation(secret, kiosk_id, kPublicKey)},
                         {"acked_through", 0}};
      return platform::HttpResponse{200, {}, out.dump()};
    }

   private:
    std::shared_ptr<std::atomic<int>> m_n;
  };

  std::function<std::unique_ptr<platform::HttpClient>()> Factory() const {
    return [n = enrol_requests] { return std::make_unique<Http>(n); };
  }
};

}  // namespace kiosk::test
