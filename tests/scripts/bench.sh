#!/usr/bin/env bash
# make bench: eks-token against `aws eks get-token`, same credentials, same run.
# Whole-process wall time (hyperfine) and peak RSS (GNU time), with the ratios; then the
# in-process cost of one token. awscli comes from PyPI into a throwaway venv when absent.
set -euo pipefail
bin=$(realpath "${1:-target/release/eks-token}")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
real_home=$HOME   # cargo needs it; the runs below get a throwaway HOME

if ! command -v hyperfine >/dev/null || [ ! -x /usr/bin/time ]; then
  echo "bench: installing hyperfine and time from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine time >/dev/null
fi
aws=$(command -v aws || true)
if [ -z "$aws" ]; then
  bash tests/scripts/ci-venv.sh --awscli >/dev/null   # the project's venv, with awscli from PyPI
  aws=${EKS_TOKEN_CI_VENV:-$PWD/target/ci-venv}/bin/aws
fi

export HOME=$work AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE KUBERNETES_EXEC_INFO
echo "eks-token: $("$bin" --version)   awscli: $("$aws" --version 2>&1)"

ours=("$bin" --cluster-name bench)
theirs=("$aws" eks get-token --cluster-name bench)
"${ours[@]}" >/dev/null && "${theirs[@]}" >/dev/null

hyperfine -N --warmup 20 --runs 300 --export-json "$work/ours.json" "${ours[*]}" >/dev/null
hyperfine -N --warmup 1 --runs 10 --export-json "$work/theirs.json" "${theirs[*]}" >/dev/null

rss() { # peak RSS in KiB over 5 runs (the largest)
  local max=0 r
  for _ in 1 2 3 4 5; do
    r=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1); ((r > max)) && max=$r
  done
  echo "$max"
}
ours_rss=$(rss "${ours[@]}"); theirs_rss=$(rss "${theirs[@]}")

python3 - "$work/ours.json" "$work/theirs.json" "$ours_rss" "$theirs_rss" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))["results"][0]; t = json.load(open(sys.argv[2]))["results"][0]
orss, trss = int(sys.argv[3]), int(sys.argv[4])
print(f"{'':22}{'mean':>12}{'median':>12}{'peak RSS':>12}")
print(f"{'eks-token':22}{o['mean']*1e3:>10.2f}ms{o['median']*1e3:>10.2f}ms{orss/1024:>9.2f}MiB")
print(f"{'aws eks get-token':22}{t['mean']*1e3:>10.2f}ms{t['median']*1e3:>10.2f}ms{trss/1024:>9.2f}MiB")
ratio = t['median'] / o['median']
print(f"speed-up (median): {ratio:.0f}x  (goal >= 300x)   memory: {trss/orss:.0f}x less  (goal <= 4 MiB: {'met' if orss <= 4096 else 'NOT met'})")
PY
# A call served from the credential cache (a credential_process with an Expiration, primed once)
# against a static-key call: the cache must cost no more than the keys themselves.
mkdir -p "$work/.aws"
exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '#!/bin/sh\necho '"'"'{"Version":1,"AccessKeyId":"ASIABENCH","SecretAccessKey":"s","SessionToken":"t","Expiration":"%s"}'"'"'\n' "$exp" > "$work/proc.sh"
chmod +x "$work/proc.sh"
printf '[profile cached]\ncredential_process = %s\n' "$work/proc.sh" > "$work/.aws/config"
cached=("$bin" --cluster-name bench --profile cached)
"${cached[@]}" >/dev/null
"${cached[@]}" --debug 2>&1 >/dev/null | grep -q 'cache hit' || { echo "bench: the cached call missed the cache" >&2; exit 1; }
hyperfine -N --warmup 20 --runs 300 --export-json "$work/cached.json" "${cached[*]}" >/dev/null
python3 - "$work/ours.json" "$work/cached.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))["results"][0]; c = json.load(open(sys.argv[2]))["results"][0]
print(f"{'static keys':22}{o['median']*1e3:>10.2f}ms (median)")
print(f"{'from the cache':22}{c['median']*1e3:>10.2f}ms (median)   ratio {c['median']/o['median']:.2f} (goal <= ~1)")
PY

echo
HOME=$real_home cargo test --release --quiet --test microbench -- --ignored --nocapture 2>/dev/null | grep 'mint one token'
