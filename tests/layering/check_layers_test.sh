#!/usr/bin/env bash
# Proves that check_layers.sh can fail: on a copy of the tree, each wrong arrow planted below
# must be reported, and the untouched copy must pass.
set -euo pipefail
src="${1:?usage: check_layers_test.sh SOURCE_ROOT}"
check="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/check_layers.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fresh() {
  rm -rf "$tmp/tree"
  mkdir -p "$tmp/tree"
  (cd "$src" && cp -r --parents kiosk storage platform central "$tmp/tree/")
}

fresh
bash "$check" "$tmp/tree" >/dev/null || { echo "FAIL: the untouched tree should pass"; bash "$check" "$tmp/tree"; exit 1; }

# expect_fail FILE LINE_TO_ADD WORDS_THE_REPORT_MUST_HOLD
expect_fail() {
  fresh
  printf '%s\n' "$2" >>"$tmp/tree/$1"
  if out="$(bash "$check" "$tmp/tree")"; then
    echo "FAIL: planting '$2' in $1 was not reported"; exit 1
  fi
  grep -qF "$3" <<<"$out" || { echo "FAIL: the report for '$2' in $1 does not say '$3':"; echo "$out"; exit 1; }
  echo "ok: $1 + $2"
}
expect_fail kiosk/core/domain.hpp '#include "storage/db.hpp"' 'kiosk/core/domain.hpp'
expect_fail kiosk/core/domain.hpp '#include "kiosk/services/kiosk.hpp"' 'kiosk/core may include only itself'
expect_fail storage/db.hpp '#include "kiosk/services/kiosk.hpp"' 'storage/db.hpp'
expect_fail kiosk/services/kiosk.hpp '#include "kiosk/sync/client.hpp"' 'kiosk/services/kiosk.hpp'
expect_fail kiosk/sync/protocol.hpp '#include "kiosk/app/app_controller.hpp"' 'kiosk/sync/protocol.hpp'
expect_fail kiosk/cli/cli.cpp '#include "kiosk/ui/app.hpp"' 'kiosk/cli/cli.cpp'
expect_fail kiosk/app/intents.hpp '#include "platform/scanner_usb.hpp"' 'kiosk/app/intents.hpp'
expect_fail platform/beeper.hpp '#include "kiosk/sync/client.hpp"' 'platform/beeper.hpp'
expect_fail central/rules.hpp '#include "kiosk/ui/app.hpp"' 'central/rules.hpp'
expect_fail kiosk/core/domain.cpp '#include <sqlite3.h>' 'only storage/ talks to SQLite'
expect_fail kiosk/app/intents.hpp '#include <imgui.h>' 'only kiosk/ui and platform/ draw'
expect_fail kiosk/sync/protocol.cpp '#include <curl/curl.h>' 'only platform/ adapters'
expect_fail kiosk/core/domain.cpp 'const char* kSql = "SELECT id FROM partners";' 'holds SQL text'
expect_fail kiosk/sync/engine.cpp '#include "storage/db.hpp"' 'kiosk/sync/engine.cpp'
expect_fail kiosk/sync/usb.cpp 'void F(kiosk::storage::Db& db);' 'raw database handle'
expect_fail kiosk/cli/cmd_sync.cpp 'void F(kiosk::storage::Transaction& tx);' 'raw database handle'
expect_fail kiosk/services/kiosk.hpp 'storage::Db& Database();' 'Database()'
expect_fail kiosk/services/kiosk_status.cpp 'auto k = storage::SyncKey::LastSync;' 'names a sync_state key'
echo "check_layers.sh reports every planted wrong arrow"
