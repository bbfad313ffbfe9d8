#!/usr/bin/env bash
# Run kustomize, building it from its Go module into .run/tools/ on first use.
#
#   scripts/kustomize.sh build deploy/k8s/overlays/production
#
# The binary's name carries its version, so changing KUSTOMIZE_VERSION below
# builds the new one next to the old. The build needs the go command and the
# Go module proxy.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.1

root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.run/tools
binary=$tools/kustomize-$KUSTOMIZE_VERSION

if [ ! -x "$binary" ]; then
  if ! command -v go > /dev/null; then
    echo "kustomize.sh: the go command was not found; install Go to build" \
      "kustomize $KUSTOMIZE_VERSION" >&2
    exit 1
  fi
  mkdir -p "$tools"
  # Build into a private folder and rename, so that two runs at once never
  # execute a half-written binary.
  build_dir=$(mktemp -d "$tools/build.XXXXXX")
  trap 'rm -rf "$build_dir"' EXIT
  echo "kustomize.sh: building kustomize $KUSTOMIZE_VERSION into $tools" >&2
  if ! GOBIN=$build_dir go install \
    "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2; then
    echo "kustomize.sh: go install of kustomize $KUSTOMIZE_VERSION failed;" \
      "see the go output above" >&2
    exit 1
  fi
  mv "$build_dir/kustomize" "$binary"
fi

exec "$binary" "$@"
