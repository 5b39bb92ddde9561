#!/usr/bin/env bash
# Installs what the tests need that the Go toolchain cannot fetch: Debian's
# Chromium (browser tests), Mosquitto (interop tests), nginx (the static
# host that serves dist/ in e2e/dist_test.go; the tests start their own on
# 127.0.0.1, the package's service is not used), the Noto CJK fonts (so
# that screenshots of the page in Chinese show characters, not boxes) and
# paho-mqtt for Python (the generated Python device programs are run by
# e2e/devcode_test.go). Does nothing when they are already there.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
/usr/bin/python3 -c "import paho.mqtt.client" >/dev/null 2>&1 || need+=(python3-paho-mqtt)
[ ${#need[@]} -eq 0 ] && exit 0
echo "deps: installing ${need[*]} with apt-get"
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
