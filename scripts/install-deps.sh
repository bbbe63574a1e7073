#!/usr/bin/env bash
# Installs everything Credence needs to build, run and test on Debian 12.
#
#   scripts/install-deps.sh
#
# Idempotent and fast on a ready machine: apt is skipped when every package is
# already installed, pip when the right joserfc is importable. Needs root (or
# sudo) only when something is missing.
#
# No service is started: Debian's packages would start the system nginx,
# Apache and PostgreSQL (holding ports 80 and 5432); Credence runs private
# instances instead (scripts/nginx.sh, scripts/apache.sh,
# scripts/postgres-cluster.sh). A policy-rc.d forbids starts during the install.
set -euo pipefail

packages=(
    # build: the system libraries behind CFastCGI, CLibPQ, COpenSSL, CCurl
    pkg-config libfcgi-dev libpq-dev libssl-dev libcurl4-openssl-dev
    # run and test
    postgresql nginx apache2 curl openssl ca-certificates libfcgi-bin spawn-fcgi
    # the README's shell examples read JSON answers with jq
    jq
    # interoperability tests (joserfc) and the end-to-end harness
    python3 python3-pip python3-venv
)
joserfc_version=1.6.5

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi

if [[ ${#missing[@]} -gt 0 ]]; then
    echo "install-deps: installing ${missing[*]}"
    policy=/usr/sbin/policy-rc.d
    own_policy=""
    if [[ ! -e $policy ]]; then
        # exit status 101: "action forbidden"; invoke-rc.d then starts nothing.
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 0755 "$policy"
        own_policy=1
    fi
    cleanup() {
        if [[ -n "$own_policy" ]]; then "${sudo[@]}" rm -f "$policy"; fi
    }
    trap cleanup EXIT
    export DEBIAN_FRONTEND=noninteractive
    # apt's and dpkg's progress (hundreds of lines) goes to a log, shown only on failure.
    apt_log=$(mktemp /tmp/credence-apt.XXXXXX.log)
    if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -n 40 "$apt_log" >&2
        echo "install-deps: apt-get failed (whole output: $apt_log)" >&2
        exit 1
    fi
    rm -f "$apt_log"
    echo "install-deps: installed ${#missing[@]} packages"
    cleanup
    trap - EXIT
else
    echo "install-deps: Debian packages present"
fi

# If a system web server runs anyway (installed earlier by someone else with
# services allowed), say so: it would hold port 80/443, never ours.
for svc in nginx apache2; do
    if [[ -s /run/$svc.pid || -s /run/$svc/$svc.pid ]]; then
        echo "install-deps: note: the system $svc service seems to be running;" \
            "Credence's private instances don't need it (stop it with: service $svc stop)" >&2
    fi
done

if python3 -c "import sys, joserfc; sys.exit(joserfc.__version__ != '$joserfc_version')" 2>/dev/null; then
    echo "install-deps: joserfc $joserfc_version present"
else
    echo "install-deps: installing joserfc==$joserfc_version for $(command -v python3)"
    pip=(python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location "joserfc==$joserfc_version")
    if ! out=$("${pip[@]}" 2>&1); then
        if grep -q externally-managed-environment <<<"$out"; then
            # Debian's own python3 (PEP 668): this machine is a build/CI box.
            "${pip[@]}" --break-system-packages
        else
            echo "$out" >&2
            exit 1
        fi
    fi
    python3 -c "import joserfc; print('install-deps: joserfc', joserfc.__version__)"
fi
