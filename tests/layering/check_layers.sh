#!/usr/bin/env bash
# Layering check: every `#include "..."` of ours must point down the layers of
# docs/architecture.md, only storage/ may include SQLite, only platform/ (and the UI, for imgui)
# may include hardware, window or network libraries, and no SQL text may live outside storage/
# and the central's store adapters. A wrong arrow fails here, in CI, instead of in a review.
#
# Usage: check_layers.sh SOURCE_ROOT
# Prints one line per violation (file, line, what, why) and exits 1 if there is any.
set -euo pipefail
root="${1:?usage: check_layers.sh SOURCE_ROOT}"
cd "$root"

# Folder -> the folders (or exact headers) its files may include, besides itself. Most specific
# folder first: a file belongs to the first folder that prefixes its path.
folders=(kiosk/core storage kiosk/services kiosk/sync kiosk/app kiosk/labels kiosk/ui kiosk/cli platform central)
declare -A allowed=(
  [kiosk/core]=""
  [storage]="kiosk/core"
  [kiosk/services]="storage kiosk/core"
  # Sync reaches the database only through storage::SyncStore (typed sync state, journal batches,
  # verdicts, transactions), lent by the Kiosk: no raw Db, no other repository.
  [kiosk/sync]="kiosk/services storage/sync_store.hpp storage/verdicts.hpp kiosk/core"
  [kiosk/app]="kiosk/sync kiosk/services kiosk/core"
  # The UI and the CLI act through the app and the services, never on storage (no SQL), and the
  # CLI never includes the UI: `kiosk gui` starts it through kiosk/main.cpp.
  [kiosk/ui]="kiosk/app kiosk/sync kiosk/services kiosk/core platform"
  [kiosk/cli]="kiosk/app kiosk/sync kiosk/services kiosk/labels kiosk/core platform"
  # Label sheets and ZPL: drawn from the domain's facts alone (libzint, cairo), no data folder.
  [kiosk/labels]="kiosk/core"
  # Adapters: they implement ports declared above them (sync's HttpClient) and use the core.
  [platform]="kiosk/core kiosk/sync/http_client.hpp"
  # The central reuses the protocol, the journal and the storage code, never the kiosk's UI,
  # app, services or adapters.
  [central]="kiosk/sync/protocol.hpp kiosk/core storage"
)

# Wrong arrows that today's code still has, each to be fixed by a later step of issue 14. The list
# must only shrink. Format: "FILE -> INCLUDE".
allowlist=(
)

# SQL text outside storage/: files allowed to hold it for now. Empty since the services and the
# sync engine read and write through storage/'s repositories (docs/architecture.md); keep it so.
sql_allowlist=(
)
# The central's store adapters are where its SQL belongs.
sql_home='^(storage/|central/[a-z_]*store[a-z_]*\.(cpp|hpp)$)'

in_list() {
  local needle="$1"; shift
  local x
  for x in "$@"; do [[ "$x" == "$needle" ]] && return 0; done
  return 1
}

# Sets $folder_found to the layer folder of a path ("" for none); no subshell, so it stays fast.
folder_of() {
  local d
  folder_found=""
  for d in "${folders[@]}"; do
    if [[ "$1" == "$d/"* ]]; then folder_found="$d"; return; fi
  done
}

fails=0
used_allow=()
complain() { echo "$1"; fails=$((fails + 1)); }

mapfile -t files < <(find kiosk storage platform central -type f \( -name '*.cpp' -o -name '*.hpp' \) 2>/dev/null | sort)
quote_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)"'
angle_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>'
# One grep over the whole tree: "FILE:LINE:TEXT" for every include line.
while IFS= read -r hit; do
  f="${hit%%:*}"; rest="${hit#*:}"; line="${rest%%:*}"; text="${rest#*:}"
  folder_of "$f"; folder="$folder_found"
  [[ -z "$folder" ]] && continue  # kiosk/main.cpp: the composition root sees everything
  if [[ "$text" =~ $quote_re ]]; then
    inc="${BASH_REMATCH[1]}"
    folder_of "$inc"
    # Only our own folders are layered (a test's sibling header is not).
    [[ -z "$folder_found" && "$inc" != kiosk/* ]] && continue
    [[ "$inc" == "$folder/"* ]] && continue
    ok=0
    for a in ${allowed[$folder]}; do
      if [[ "$inc" == "$a" || "$inc" == "$a/"* ]]; then ok=1; break; fi
    done
    ((ok)) && continue
    if in_list "$f -> $inc" "${allowlist[@]}"; then used_allow+=("$f -> $inc"); continue; fi
    complain "$f:$line: includes \"$inc\": $folder may include only itself and: ${allowed[$folder]:-nothing of ours}"
  elif [[ "$text" =~ $angle_re ]]; then
    # Third-party headers that belong to one layer.
    inc="${BASH_REMATCH[1]}"
    case "$inc" in
      sqlite3.h) [[ "$folder" == storage ]] || complain "$f:$line: includes <$inc>: only storage/ talks to SQLite" ;;
      imgui*.h | backends/* | GLFW/* | GL/* | GLES*/*)
        [[ "$folder" == kiosk/ui || "$folder" == platform ]] ||
          complain "$f:$line: includes <$inc>: only kiosk/ui and platform/ draw" ;;
      curl/* | libusb* | linux/input*.h | termios.h | alsa/*)
        [[ "$folder" == platform ]] || complain "$f:$line: includes <$inc>: only platform/ adapters talk to devices and the network" ;;
      httplib.h) [[ "$folder" == central ]] || complain "$f:$line: includes <$inc>: only the central serves HTTP" ;;
    esac
  fi
done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "${files[@]}" /dev/null || true)

# Raw database handles above storage/: only the services (which own the Kiosk's connection) hold
# a storage::Db or build repositories on one; sync goes through storage::SyncStore, and nothing
# hands the connection out (Kiosk::Database() is gone for good).
while IFS= read -r hit; do
  f="${hit%%:*}"; rest="${hit#*:}"; line="${rest%%:*}"
  folder_of "$f"
  [[ "$folder_found" == storage || "$folder_found" == central ]] && continue
  if [[ "$hit" == *"Database()"* ]]; then
    complain "$f:$line: hands out or uses the Kiosk's raw database (Database()): use a repository or storage::SyncStore"
  elif [[ "$folder_found" != kiosk/services ]]; then
    complain "$f:$line: holds a raw database handle or repository: above the services, use the Kiosk or storage::SyncStore"
  fi
done < <(grep -nE 'storage::(Db|Transaction|ReadSnapshot|JournalTable|JournalStore|StateStore|VerdictStore|ReferenceStore|ActivityStore)\b|\bDatabase\(\)' "${files[@]}" /dev/null || true)

# sync_state is read and written through storage::SyncState's accessors, one per key: no key of
# it is named (by SyncKey or by text) outside storage/.
while IFS= read -r hit; do
  f="${hit%%:*}"; rest="${hit#*:}"; line="${rest%%:*}"
  folder_of "$f"
  [[ "$folder_found" == storage ]] && continue
  complain "$f:$line: names a sync_state key (SyncKey): use storage::SyncState's accessor for it"
done < <(grep -nE '\bSyncKey\b' "${files[@]}" /dev/null || true)

# SQL text: a string literal that starts a statement, outside storage/ and the central's stores.
while IFS= read -r f; do
  [[ "$f" =~ $sql_home ]] && continue
  folder_of "$f"
  [[ -z "$folder_found" ]] && continue
  if in_list "$f" "${sql_allowlist[@]}"; then
    used_allow+=("$f (SQL)")
  else
    complain "$f: holds SQL text: SQL lives in storage/ (or the central's store adapters)"
  fi
done < <(grep -lE '"[[:space:]]*(SELECT[[:space:]].*FROM|INSERT (OR [A-Z]+ )?INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX)|PRAGMA [a-z_]+)' "${files[@]}" /dev/null || true)

# An allowlist entry that no longer matches anything must go, so the list only shrinks.
for e in "${allowlist[@]}"; do
  in_list "$e" "${used_allow[@]}" || complain "stale allowlist entry (remove it): $e"
done
for e in "${sql_allowlist[@]}"; do
  in_list "$e (SQL)" "${used_allow[@]}" || complain "stale SQL allowlist entry (remove it): $e"
done

if ((fails)); then
  echo "layering: $fails problem(s) in ${#files[@]} files"
  exit 1
fi
echo "layering: ${#files[@]} files, every arrow points down (${#used_allow[@]} allowlisted for now)"
