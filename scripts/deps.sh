#!/bin/sh
# Installs the Debian packages wsprobe needs, only those that are missing.
#   scripts/deps.sh build   compiler, OpenSSL, zlib, cJSON
#   scripts/deps.sh test    the above, plus cmocka and the peer servers the tests talk to
set -e
build="gcc make pkg-config libssl-dev zlib1g-dev libcjson-dev"
test="$build libcmocka-dev clang openssl python3 python3-websockets \
      nodejs node-ws libwebsockets-test-server iproute2 procps valgrind util-linux libxml2-utils chromium python3-yaml"
case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# The browser tests install playwright-core with npm; Debian's own nodejs
# package ships without it (NodeSource's includes it).
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi
# libFuzzer's runtime comes in a package named after clang's major version
# (libclang-rt-14-dev on Debian 12), so it is looked for once clang is there.
fuzzer_runtime() {
    command -v clang >/dev/null 2>&1 || return 0
    ls "$(clang -print-resource-dir)"/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 && return 0
    major=$(clang -dumpversion | cut -d. -f1)
    echo "libclang-rt-$major-dev"
}
if [ "${1:-build}" = test ]; then
    rt=$(fuzzer_runtime)
    if [ -n "$rt" ]; then missing="$missing $rt"; fi
fi
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "wsprobe: missing packages:$missing (install them with your package manager)" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "wsprobe: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
# clang may have come in just now
if [ "${1:-build}" = test ]; then
    rt=$(fuzzer_runtime)
    if [ -n "$rt" ]; then $sudo apt-get install -y -qq --no-install-recommends "$rt" >/dev/null; fi
fi

