#!/usr/bin/env bash
# Installs the real SIP peers and tools the protocol tests use, from Debian's packages, when
# they are missing: SIPp (sip-tester), Kamailio, baresip, tshark, dnsmasq, sox, openssl.
# Needs root (apt-get); does nothing when everything is there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v sipp >/dev/null || need+=(sip-tester)
[ -x /usr/sbin/kamailio ] || need+=(kamailio)
command -v baresip >/dev/null || need+=(baresip-core)
command -v tshark >/dev/null || need+=(tshark)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v sox >/dev/null || need+=(sox)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then
  echo "peers: all present"
  exit 0
fi
echo "peers: installing ${need[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
