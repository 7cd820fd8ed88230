#!/usr/bin/env bash
# Builds a statically linked bubblewrap from Debian's source package into vendor/bwrap/bwrap, for the executor
# bundle (scripts/bundles.js copies it to bin/bwrap). FC's custom.debian10 image ships no bwrap and has glibc 2.28,
# older than this machine's: a static binary needs no libc from the host at all, so it runs there as it runs here.
#
# Debian 12 as root. Installs its own build dependencies with apt-get. Idempotent: when vendor/bwrap/bwrap is
# already static and was built by this very script from the source version apt offers now, it does nothing.
# Neither the source nor the binary is committed (vendor/ is gitignored).
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SELF")/.."

OUT=vendor/bwrap
BIN="$OUT/bwrap"
STAMP="$OUT/bwrap.stamp"
export DEBIAN_FRONTEND=noninteractive
# Other engineers' and CI's apt runs may hold the lock for a while: wait for it rather than fail.
APT=(apt-get -qq -o DPkg::Lock::Timeout=600)

log() { echo "build-bwrap: $*" >&2; }

# The recipe is part of what "up to date" means: a changed script rebuilds.
recipe=$(sha256sum "$SELF" | cut -d' ' -f1)

is_static() {
  # No program interpreter and no shared library needed: the binary depends on nothing of the host's userland.
  [ -x "$1" ] && ! readelf -lW "$1" | grep -q 'Requesting program interpreter' && ! readelf -dW "$1" | grep -q '(NEEDED)'
}

# The source version apt would fetch now, if apt knows one (no source lists yet: empty).
candidate_version() {
  apt-cache showsrc bubblewrap 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

if [ -f "$BIN" ] && [ -f "$STAMP" ] && command -v readelf >/dev/null && is_static "$BIN"; then
  built_recipe=$(sed -n 's/^recipe=//p' "$STAMP")
  built_version=$(sed -n 's/^version=//p' "$STAMP")
  now=$(candidate_version)
  if [ "$built_recipe" = "$recipe" ] && { [ -z "$now" ] || [ "$now" = "$built_version" ]; }; then
    log "up to date ($BIN, bubblewrap $built_version)"
    exit 0
  fi
fi

# deb-src for the mirror(s) already configured, so `apt-get source` fetches from where the binaries come from.
SRC_LIST=/etc/apt/sources.list.d/pocketrun-deb-src.sources
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  log "adding deb-src entries ($SRC_LIST)"
  tmp=$(mktemp)
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas of type deb become deb-src with the same URIs, suites, components and key.
    awk 'BEGIN { RS = ""; ORS = "\n\n" } /(^|\n)Types:[^\n]*deb($|[ \n])/ { sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$tmp"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list >"${tmp}.list"
    [ -s "${tmp}.list" ] && install -m 0644 "${tmp}.list" /etc/apt/sources.list.d/pocketrun-deb-src.list
    rm -f "${tmp}.list"
  fi
  [ -s "$tmp" ] && install -m 0644 "$tmp" "$SRC_LIST"
  rm -f "$tmp"
  "${APT[@]}" update
elif [ -z "$(candidate_version)" ]; then
  "${APT[@]}" update
fi

# dpkg-dev unpacks the source package (and applies Debian's patches); libcap-dev carries libcap.a; binutils' readelf
# checks the result.
"${APT[@]}" install -y --no-install-recommends \
  dpkg-dev gcc libc6-dev libcap-dev meson ninja-build pkg-config binutils xz-utils ca-certificates >/dev/null

version=$(candidate_version)
[ -n "$version" ] || { log "apt knows no source package bubblewrap (deb-src unreachable?)"; exit 1; }

work="$OUT/build"
rm -rf "$work"
mkdir -p "$work"
log "fetching bubblewrap $version source"
(cd "$work" && apt-get source -qq -o APT::Sandbox::User=root --only-source "bubblewrap=$version" >/dev/null)
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'bubblewrap-*' | head -n 1)
[ -n "$src" ] && [ -f "$src/meson.build" ] || { log "no meson.build in the unpacked source"; exit 1; }

# Only the binary: no SELinux, man pages, shell completions or tests. -static links libc and libcap in; the
# hardening flags are Debian's usual ones.
log "building"
meson setup "$work/out" "$src" \
  --prefer-static \
  -Dbuildtype=plain \
  -Dc_args='-O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2' \
  -Dc_link_args='-static -Wl,-z,relro,-z,now' \
  -Dselinux=disabled -Dman=disabled -Dbash_completion=disabled -Dzsh_completion=disabled -Dtests=false \
  >"$work/meson.log" 2>&1 || { cat "$work/meson.log" >&2; exit 1; }
ninja -C "$work/out" bwrap >"$work/ninja.log" 2>&1 || { cat "$work/ninja.log" >&2; exit 1; }
# A static glibc binary that calls NSS (getpwnam & co.) would need the host's libnss at run time: the linker warns.
grep -i 'warning' "$work/ninja.log" >&2 || true

built="$work/out/bwrap"
is_static "$built" || { log "the result is not static:"; readelf -dW "$built" >&2; exit 1; }
"$built" --version >/dev/null
strip "$built"
install -m 0755 "$built" "$BIN.new"
mv -f "$BIN.new" "$BIN"
printf 'version=%s\nrecipe=%s\n' "$version" "$recipe" >"$STAMP"
rm -rf "$work"
log "built $BIN (bubblewrap $version, static, $(stat -c %s "$BIN") bytes)"
