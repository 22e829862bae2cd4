#!/usr/bin/env bash
# make demo: mint a token with the AWS documentation's example keys, show it, and verify it.
# No AWS account and no network: the token is a presigned URL, signed locally.
set -euo pipefail
bin=${1:-target/release/eks-token}
home=$(mktemp -d); trap 'rm -rf "$home"' EXIT
export HOME=$home AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION KUBERNETES_EXEC_INFO

echo "== 1. eks-token --cluster-name demo --region us-west-2"
"$bin" --cluster-name demo --region us-west-2 | tee "$home/cred.json"

echo; echo "== 2. the same, as kubectl calls it with provideClusterInfo: true (one user entry, cluster config in KUBERNETES_EXEC_INFO)"
export KUBERNETES_EXEC_INFO='{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false,"cluster":{"server":"https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com","config":{"clusterName":"demo"}}}}'
"$bin" | tee "$home/cred2.json"
unset KUBERNETES_EXEC_INFO

echo; echo "== 3. the URL inside the token (the cluster name is signed in x-k8s-aws-id, not in the URL)"
tok=$(sed -e 's/.*"token":"k8s-aws-v1\.\([^"]*\)".*/\1/' "$home/cred2.json")
pad=$(( (4 - ${#tok} % 4) % 4 )); printf '%s%s' "$tok" "$(printf '=%.0s' $(seq 1 $pad) 2>/dev/null | head -c $pad)" | tr '_-' '/+' | base64 -d | sed 's/&/\n    \&/g'; echo

echo; echo "== 4. eks-token verify (recomputes the signature with the same keys, as STS would)"
"$bin" verify --cluster-name demo --region us-west-2 < "$home/cred.json"
"$bin" verify --cluster-name demo --region eu-west-1 < "$home/cred2.json"
echo; echo "demo ok"
