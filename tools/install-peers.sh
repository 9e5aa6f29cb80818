#!/usr/bin/env bash
# Installs from Debian's packages, when missing: the real SIP peers and tools the protocol tests
# use (SIPp = sip-tester, Kamailio, baresip, linphonec = linphone-cli, tshark, dnsmasq, sox, ffmpeg, openssl) and what the
# native media engine builds against (pkg-config, libopus, spandsp, bcg729, libsrtp2, ALSA headers,
# doctest for the native unit tests).
# Needs root (apt-get); does nothing when everything is there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v sipp >/dev/null || need+=(sip-tester)
[ -x /usr/sbin/kamailio ] || need+=(kamailio)
command -v baresip >/dev/null || need+=(baresip-core)
command -v linphonec >/dev/null || need+=(linphone-cli)
command -v chromium >/dev/null || need+=(chromium fonts-dejavu-core)
command -v tshark >/dev/null || need+=(tshark)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v sox >/dev/null || need+=(sox)
command -v openssl >/dev/null || need+=(openssl)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v pkg-config >/dev/null || need+=(pkg-config)
pkg-config --exists opus 2>/dev/null || need+=(libopus-dev)
pkg-config --exists spandsp 2>/dev/null || need+=(libspandsp-dev)
[ -f /usr/include/bcg729/decoder.h ] || need+=(libbcg729-dev)
pkg-config --exists libsrtp2 2>/dev/null || need+=(libsrtp2-dev)
pkg-config --exists alsa 2>/dev/null || need+=(libasound2-dev)
[ -f /usr/include/doctest/doctest.h ] || need+=(doctest-dev)
if [ ${#need[@]} -eq 0 ]; then
  echo "peers: all present"
  exit 0
fi
echo "peers: installing ${need[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
