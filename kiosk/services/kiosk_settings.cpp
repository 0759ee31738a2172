// Settings: the central's, with what an admin set on this kiosk's screen (language, idle
// time-out) on top.
#include "kiosk/core/languages.hpp"
#include "kiosk/services/kiosk_impl.hpp"

namespace kiosk {

namespace {
// Keys of the admin's local settings in local_state.
constexpr LocalKey kLocalLanguage = LocalKey::UiLanguage;
constexpr LocalKey kLocalIdleTimeout = LocalKey::UiIdleTimeout;
}  // namespace

// The central's settings, with what an admin changed on this kiosk's own screen on top.
Settings Kiosk::CurrentSettings() {
  Settings s = m_impl->LoadSettings();
  if (std::string l = m_impl->LocalValue(kLocalLanguage); !l.empty()) {
    s.language = l;
    s.language_local = true;
  }
  if (std::string t = m_impl->LocalValue(kLocalIdleTimeout); !t.empty()) {
    s.idle_timeout_s = static_cast<int>(std::strtol(t.c_str(), nullptr, 10));
    s.idle_timeout_local = true;
  }
  return s;
}

kiosk::Status Kiosk::SaveLocalSettings(const LocalSettings& s) {
  if (s.language && !IsLanguage(*s.language))
    return MakeError(ErrorKind::Usage, "settings.language",
                     "The language \"" + *s.language + "\" is not one of " + LanguageList() + ".",
                     {{"language", *s.language}});
  if (s.idle_timeout_s && (*s.idle_timeout_s < 15 || *s.idle_timeout_s > 3600))
    return MakeError(ErrorKind::Usage, "settings.idle_timeout",
                     "The idle time-out must be 15 to 3600 s, not " + std::to_string(*s.idle_timeout_s) + ".",
                     {{"seconds", std::to_string(*s.idle_timeout_s)}});
  KIOSK_TRY(m_impl->RequireWritable());
  if (s.language) KIOSK_TRY(m_impl->SetLocal(kLocalLanguage, *s.language));
  if (s.idle_timeout_s) KIOSK_TRY(m_impl->SetLocal(kLocalIdleTimeout, std::to_string(*s.idle_timeout_s)));
  return {};
}

}  // namespace kiosk
