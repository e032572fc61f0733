#!/usr/bin/env bash
# Installs what the end-to-end UI tests need, offline-friendly (npm registry + Debian only):
#   - Debian: chromium, libkrb5-dev (code-server's kerberos addon builds from source), ripgrep, pkg-config
#   - npm, into test/e2e/node_modules (its own package.json + lock, so the extension's node_modules and .vsix stay
#     small): code-server@4.100.3 (the newest that runs on Node 20) and playwright-core.
# Idempotent: when everything is in place and the lock has not changed, it checks and exits in about a second.
# Usage: bash scripts/setup-e2e.sh [--force]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
e2e="$repo/test/e2e"
stamp="$e2e/node_modules/.elsa-e2e-installed"
vscode_modules="$e2e/node_modules/code-server/lib/vscode/node_modules"
force=false
[[ "${1:-}" == "--force" ]] && force=true

say() { printf '[setup-e2e] %s\n' "$*"; }
die() { printf '[setup-e2e] error: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------------------------------
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing_pkgs=()
for pkg in chromium libkrb5-dev ripgrep pkg-config; do
  if command -v dpkg-query >/dev/null; then
    have_pkg "$pkg" || missing_pkgs+=("$pkg")
  fi
done
if ((${#missing_pkgs[@]} > 0)); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "apt-get install ${missing_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}"
  else
    die "missing Debian packages: ${missing_pkgs[*]} (install them as root: apt-get install -y ${missing_pkgs[*]})"
  fi
fi
command -v rg >/dev/null || die "ripgrep (rg) is not on PATH"
[[ -x /usr/bin/chromium || -n "${CHROMIUM_PATH:-}" ]] || die "chromium not found (/usr/bin/chromium or \$CHROMIUM_PATH)"

# --- npm tools -------------------------------------------------------------------------------------------------
# Native parts that must exist after a good install: without them code-server starts but terminals (tasks),
# search or authentication break later, far from the cause.
native_parts=(
  "$e2e/node_modules/code-server/out/node/entry.js"
  "$vscode_modules/node-pty/build/Release/pty.node"
  "$vscode_modules/kerberos/build/Release/kerberos.node"
  "$vscode_modules/@vscode/spdlog/build/Release/spdlog.node"
  "$vscode_modules/@vscode/ripgrep/bin/rg"
  "$e2e/node_modules/playwright-core/package.json"
)
lock_hash() { sha256sum "$e2e/package.json" "$e2e/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1; }
all_parts_present() {
  local part
  for part in "${native_parts[@]}"; do [[ -e "$part" ]] || return 1; done
}

if ! $force && [[ -f "$stamp" && "$(cat "$stamp")" == "$(lock_hash)" ]] && all_parts_present; then
  say "already installed (code-server $(node -p "require('$e2e/node_modules/code-server/package.json').version")), nothing to do"
  exit 0
fi

# @vscode/ripgrep downloads rg from GitHub in its postinstall unless its cache holds the archive: seed it with
# Debian's rg. The folder and file names follow the @vscode/ripgrep version code-server 4.100.3 pulls.
export TMPDIR="$repo/.tmp"
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *) rg_target="" ;;
esac
if [[ -n "$rg_target" ]]; then
  rg_cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rg_cache"
  rg_archive="$rg_cache/ripgrep-v13.0.0-10-$rg_target.tar.gz"
  [[ -s "$rg_archive" ]] || tar czf "$rg_archive" -C "$(dirname "$(command -v rg)")" rg
fi

# As root, code-server's postinstall refuses to run without unsafe-perm (npm 11 dropped the flag, the variable
# still works); node-pty's postinstall runs `npx node-gyp`, which must not stop to ask (the machine says yes=false).
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false
# npm 11 blocks dependency install scripts unless approved: test/e2e/package.json approves them (allowScripts;
# --allow-scripts is refused for project installs). The nested installs code-server's postinstall runs in
# lib/vscode are checked below, and rebuilt if a script was skipped there.

cd "$e2e"
say "npm ci in test/e2e (code-server builds native addons; about a minute)"
log="$TMPDIR/setup-e2e-npm.log"
mkdir -p "$TMPDIR"
if ! npm ci --foreground-scripts >"$log" 2>&1; then
  tail -40 "$log" >&2
  die "npm ci failed (full log: $log)"
fi

# If a future npm skipped some install scripts anyway, build what is missing explicitly.
if ! all_parts_present && [[ -d "$vscode_modules" ]]; then
  say "some native parts are missing; rebuilding them in code-server's lib/vscode"
  (cd "$vscode_modules/.." && npm rebuild --foreground-scripts node-pty kerberos @vscode/spdlog @vscode/ripgrep >>"$log" 2>&1) || true
  if [[ ! -e "$vscode_modules/@vscode/ripgrep/bin/rg" && -d "$vscode_modules/@vscode/ripgrep" ]]; then
    mkdir -p "$vscode_modules/@vscode/ripgrep/bin" && cp "$(command -v rg)" "$vscode_modules/@vscode/ripgrep/bin/rg"
  fi
fi
for part in "${native_parts[@]}"; do
  [[ -e "$part" ]] || die "after install, missing ${part#"$repo/"} (npm log: $log)"
done

# --- Verify by launching: the addons load, code-server answers, Chromium starts under playwright-core ------------
node -e "
  const m = '$vscode_modules';
  require(m + '/node-pty');
  require(m + '/kerberos');
" || die "node-pty or kerberos fails to load"

verify_dir="$(mktemp -d)"
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
EXTENSIONS_GALLERY='{}' setsid node "$e2e/node_modules/code-server/out/node/entry.js" --auth none \
  --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check --config "$verify_dir/config.yaml" \
  --user-data-dir "$verify_dir/ud" --extensions-dir "$verify_dir/exts" "$verify_dir" >"$verify_dir/log" 2>&1 &
server_pid=$!
ok=false
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then ok=true; break; fi
  sleep 0.2
done
kill -- "-$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
$ok || { cat "$verify_dir/log" >&2; rm -rf "$verify_dir"; die "code-server did not start"; }
rm -rf "$verify_dir"

node -e "
  const { chromium } = require('$e2e/node_modules/playwright-core');
  const exe = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu'] })
    .then(async (b) => { const p = await b.newPage(); await p.setContent('<p>ok</p>'); await b.close(); })
    .catch((e) => { console.error(e.message); process.exit(1); });
" || die "Chromium does not start under playwright-core"

lock_hash >"$stamp"
say "ready: code-server $(node -p "require('$e2e/node_modules/code-server/package.json').version"), playwright-core $(node -p "require('$e2e/node_modules/playwright-core/package.json').version"), $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
