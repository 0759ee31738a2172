// AppController, scan routing: what a scanned code means depends on the screen it lands on (a
// badge signs in, or names the field rep at check-out, or the admin at the PIN screen; a unit
// opens its page, or joins the check-out, check-in, sell-out or label list).
#include "kiosk/app/app_controller.hpp"

namespace kiosk::app {

bool AppController::On(const intent::Scan& i) {
  HandleScan(i.text);
  return false;
}

void AppController::HandleScan(const std::string& raw) {
  std::string text = raw;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return;
  ScreenId screen = m_vm.screen;
  bool signed_in = m_vm.op.signed_in;
  // On the stocktake screen with a session open every code is a unit to tick: a badge or a card
  // is refused by the count in its own words, not taken as a sign-in.
  if (screen == ScreenId::Stocktake && signed_in && m_vm.stocktake.open) {
    Run([text](Kiosk& k) { return StocktakeScan(k, text); });
    return;
  }
  Run([text, screen, signed_in](Kiosk& k) -> Completion {
    // On the label screen every code is a label to print: a badge is not a sign-in there.
    if (screen == ScreenId::Labels && signed_in) {
      auto l = k.LabelFor(text);
      if (!l.ok()) return Fail(l.error());
      SessionUnit unit{text, l->title, "", "", {}};
      return [unit](AppController& c) { c.AddUnit(c.m_vm.labels.units, unit); };
    }
    auto r = k.Resolve(text);
    // A sold unit is usually a customer's, not a demo unit: only the sell-out check can judge it.
    if (screen == ScreenId::Sellout && (!r.ok() || r->kind == EntityKind::Model || r->kind == EntityKind::Device)) {
      auto u = k.CheckSelloutUnit(text);
      if (!u.ok()) return Fail(u.error());
      std::string label = "GTIN " + u->first + ", serial " + u->second;
      if (r.ok() && !r->label.empty()) label = r->label + " (" + u->second + ")";
      return [text, label](AppController& c) { c.AddUnit(c.m_vm.sellout.units, SessionUnit{text, label, "", "", {}}); };
    }
    if (!r.ok()) return Fail(r.error());
    ScanResolution res = std::move(r).value();
    if (res.kind == EntityKind::Badge) {
      if (screen == ScreenId::AdminLogin) {
        return [res](AppController& c) {
          c.m_vm.admin.badge = res.key;
          c.SetBanner(BannerKind::Info, "banner.enter_pin", res.label_args, res.label + ": now enter the PIN.");
        };
      }
      if (screen == ScreenId::Checkout && signed_in) {
        auto b = k.FindBadge(res.key);
        if (b.ok() && b->role == Role::Rep && b->active) {
          Badge badge = std::move(b).value();
          return [badge](AppController& c) {
            c.m_vm.checkout.rep_badge = badge.code;
            c.m_vm.checkout.rep_name = badge.name;
            c.SetBanner(BannerKind::Success, "banner.field_rep", {{"name", badge.name}}, "Field rep: " + badge.name);
          };
        }
      }
      auto s = k.SignIn(res.key);
      if (!s.ok()) return Fail(s.error());
      Badge badge = std::move(s).value();
      return [badge](AppController& c) {
        c.m_vm.op.signed_in = true;
        c.m_vm.op.badge = badge;
        c.m_vm.partner = PartnerVm{};
        c.ClearSessions();
        c.RefreshHome();
        c.Go(ScreenId::Home);
        c.SetBanner(BannerKind::Success, "banner.signed_in", {{"name", badge.name}, {"role", RoleKey(badge.role)}},
                    "Signed in: " + badge.name + " (" + std::string(ToString(badge.role)) + ")");
      };
    }
    if (!signed_in) {
      return [res](AppController& c) {
        if (res.kind == EntityKind::PartnerCard)
          c.SetBanner(BannerKind::Warning, "banner.partner_sign_in_first", res.label_args,
                      res.label + ": sign in first by scanning your staff badge.");
        else
          c.SetBanner(BannerKind::Warning, "banner.label_sign_in_first", {{"label", res.label}},
                      res.label + ": sign in first by scanning your staff badge.");
      };
    }
    if (res.kind == EntityKind::PartnerCard) {
      // A blocked card is refused here in the services' words (rules/partners.hpp).
      auto p = k.CheckPartnerCard(res.key);
      if (!p.ok()) return Fail(p.error());
      PartnerView v = std::move(p).value();
      auto deals = k.Deals(v.partner.id, kPartnerScreenDeals);
      ShowingChanges(k, v);  // the partner's scan shows what changed since the last visit
      return [v, deals = deals.ok() ? std::move(*deals) : std::vector<DealView>{}](AppController& c) {
        c.TakePartner(v, deals, true);  // a scan is a new visit: the list is what this scan found
        c.Go(ScreenId::Partner);
        c.AnnouncePartner(v.partner, true);
      };
    }
    if (res.kind == EntityKind::Device) {
      if (screen == ScreenId::Checkout) {
        auto d = k.CheckCheckoutUnit(text);
        if (!d.ok()) return Fail(d.error());
        SessionUnit unit{res.key, res.label, "", "", {}};
        if (!d->kit.empty()) {
          auto view = k.GetDevice(d->asset_tag);
          size_t n = view.ok() ? view->kit_members.size() : 0;
          unit.note = "kit " + d->kit + (n > 1 ? ": " + std::to_string(n) + " units go together" : "");
          unit.note_key = n > 1 ? "note.kit_members" : "note.kit";
          unit.note_args = {{"kit", d->kit}, {"units", std::to_string(n)}};  // not "count": the banner's
        }
        return [unit](AppController& c) { c.AddUnit(c.m_vm.checkout.units, unit); };
      }
      // What may be checked in is the services' rule (rules/devices.hpp), as `kiosk checkin` applies it.
      auto d = screen == ScreenId::Checkin ? k.CheckCheckinUnit(res.key) : k.GetDevice(res.key);
      if (!d.ok() && d.error().code == "device.not_out") {
        // The rule's refusal, in the touchscreen's words for a scan into the check-in list.
        const Error e = d.error();
        std::string tag, state;
        for (const auto& [name, value] : e.args) {
          if (name == "tag") tag = value;
          else if (name == "state") state = value;
        }
        std::string msg = e.message;
        ReasonArgs args{{"tag", tag}, {"state", state}};
        return [msg, args](AppController& c) { c.SetBanner(BannerKind::Error, "banner.not_checked_out", args, msg); };
      }
      if (!d.ok()) return Fail(d.error());
      DeviceView v = std::move(d).value();
      if (screen == ScreenId::Checkin) {
        SessionUnit unit{res.key, res.label, "", "", {}};
        unit.note = v.overdue ? "overdue since " + v.device.due_date : "due " + v.device.due_date;
        unit.note_key = v.overdue ? "note.overdue" : "note.due";
        unit.note_args = {{"date", v.device.due_date}, {"name", v.custodian_name}};
        if (!v.custodian_name.empty()) {
          unit.note = v.custodian_name + ", " + unit.note;
          unit.note_key += "_with";
        }
        return [unit](AppController& c) { c.AddUnit(c.m_vm.checkin.units, unit); };
      }
      return [v, res](AppController& c) {
        c.m_vm.device.loaded = true;
        c.m_vm.device.view = v;
        c.Go(ScreenId::Device);
        c.SetBanner(v.overdue ? BannerKind::Warning : BannerKind::Success,
                    v.overdue ? "banner.device_overdue" : "banner.device",
                    {{"label", res.label}, {"state", StateKey(v.device.state)}},
                    res.label + ": " + std::string(DisplayName(v.device.state)) + (v.overdue ? " (overdue)" : ""));
      };
    }
    return [res](AppController& c) {
      c.SetBanner(BannerKind::Warning, "banner.model_not_unit", {{"label", res.label}},
                  res.label + " is a model, not a unit: scan the unit's asset tag or its own GS1 label.");
    };
  });
}

void AppController::AddUnit(std::vector<SessionUnit>& units, SessionUnit unit) {
  for (const auto& u : units) {
    if (u.code == unit.code || (!u.label.empty() && u.label == unit.label)) {
      SetBanner(BannerKind::Warning, "banner.unit_twice", {{"unit", unit.label}}, unit.label + " is already in the list.");
      return;
    }
  }
  std::string text = unit.label + (unit.note.empty() ? "" : " (" + unit.note + ")");
  // With a note, {note} is the note's key: the screen says it in its language from its values.
  ReasonArgs args{{"unit", unit.note_key.empty() ? text : unit.label}, {"count", std::to_string(units.size() + 1)}};
  std::string key = "banner.unit_added";
  if (!unit.note_key.empty()) {
    key = "banner.unit_added_note";
    args.emplace_back("note", unit.note_key);
    args.insert(args.end(), unit.note_args.begin(), unit.note_args.end());
  }
  units.push_back(std::move(unit));
  SetBanner(BannerKind::Success, std::move(key), std::move(args),
            "Added " + text + ". " + std::to_string(units.size()) + " in the list.");
}

bool AppController::On(const intent::RemoveUnit& i) {
  std::vector<SessionUnit>* units = i.session == ScreenId::Checkout  ? &m_vm.checkout.units
                                    : i.session == ScreenId::Checkin ? &m_vm.checkin.units
                                    : i.session == ScreenId::Sellout ? &m_vm.sellout.units
                                    : i.session == ScreenId::Labels  ? &m_vm.labels.units
                                                                     : nullptr;
  if (!units || i.index < 0 || i.index >= static_cast<int>(units->size())) return false;
  units->erase(units->begin() + i.index);
  return true;
}

}  // namespace kiosk::app
