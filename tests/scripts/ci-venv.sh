#!/usr/bin/env bash
# A Python venv at target/ci-venv with moto's server, the local STS (and IAM) of tests/moto.rs;
# with `--awscli`, awscli too (for the bench). Idempotent: a venv already holding the pinned
# packages is left alone. Prints the path of moto_server on stdout; pip's output is shown only
# when it fails, and then this exits non-zero.
#
# moto[server] would add every other service's dependencies (docker, cfn-lint, ...: 64 packages,
# ~60 s); moto's server needs only flask and flask-cors besides moto (30 packages, ~25 s).
# Pinned: moto, the web server whose "Running on" line the tests read, and botocore, which
# checks our signatures when moto's authentication is on.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${EKS_TOKEN_CI_VENV:-$PWD/target/ci-venv}
pkgs=(moto==5.2.5 flask==3.1.3 flask-cors==6.0.5 werkzeug==3.1.9 boto3==1.44.8 botocore==1.44.8)
[[ "${1:-}" == "--awscli" ]] && pkgs+=(awscli)
stamp=$venv/.eks-token-packages

have() {
  [ -x "$venv/bin/moto_server" ] && [ -f "$stamp" ] || return 1
  local p
  for p in "${pkgs[@]}"; do grep -qxF "$p" "$stamp" || return 1; done
}

if ! have; then
  echo "ci-venv: installing ${pkgs[*]} into $venv" >&2
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if { [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"; } >"$log" 2>&1 &&
    "$venv/bin/pip" install -q --disable-pip-version-check "${pkgs[@]}" >>"$log" 2>&1; then
    { [ -f "$stamp" ] && cat "$stamp"; printf '%s\n' "${pkgs[@]}"; } | sort -u >"$stamp.new"
    mv "$stamp.new" "$stamp"
  else
    cat "$log" >&2
    echo "ci-venv: FAILED to install ${pkgs[*]} into $venv" >&2
    exit 1
  fi
fi
echo "$venv/bin/moto_server"
