#!/usr/bin/env bash
# A throwaway certificate authority and a loopback server certificate it signs, for test and
# development servers on 127.0.0.1 (the e2e proxy-callback receptor, the soak, the demo
# application's https pgtUrl, the TACACS+ server over TLS in `make dev TACACS_TLS=1`).
#
#   tests/tools/throwaway-ca.sh DIR NAME DAYS [--untrusted]
#
# writes into DIR: ca.pem/ca.key ("NAME CA"), server.pem/server.key (subject 127.0.0.1,
# subjectAltName IP:127.0.0.1 and DNS:localhost, serverAuth, signed by the CA) and with
# --untrusted also untrusted.pem/untrusted.key, a self-signed certificate for the same names
# that nobody trusts. The keys are RSA 2048, unencrypted: never use these anywhere else.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 DIR NAME DAYS [--untrusted]" >&2; exit 2; }
dir=$1 name=$2 days=$3 untrusted=${4:-}
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=$name CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
if [ "$untrusted" = --untrusted ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout untrusted.key -out untrusted.pem 2>/dev/null
fi
