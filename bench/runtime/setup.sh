#!/usr/bin/env bash
# Create one venv per peer server under bench/.work/ (git-ignored).  Idempotent.
# Each step logs to bench/.work/setup-<peer>.log; a failing peer is recorded, not fatal.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$ROOT/bench/.work"
PY="${PYTHON:-python3}"
mkdir -p "$WORK"
# same scikit-learn / joblib as the project venv, so every server loads the same pickle
SK="$("$ROOT/.venv/bin/python" -c 'import sklearn; print(sklearn.__version__)')"
JL="$("$ROOT/.venv/bin/python" -c 'import joblib; print(joblib.__version__)')"

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || echo "wrk: apt-get install failed"; }

mkvenv() {  # name, pip args...
  local name="$1"; shift
  local v="$WORK/venv-$name" log="$WORK/setup-$name.log"
  if [ -f "$v/.ok" ]; then echo "$name: ok (cached)"; return 0; fi
  rm -rf "$v"
  { "$PY" -m venv "$v" && "$v/bin/pip" install -q --upgrade pip && "$v/bin/pip" install -q "$@"; } >"$log" 2>&1
  if [ $? -eq 0 ]; then touch "$v/.ok"; echo "$name: ok"; else echo "$name: FAILED (see $log)"; tail -5 "$log"; fi
}

case "${1:-all}" in
  all|mlserver) mkvenv mlserver "mlserver==1.7.1" "mlserver-sklearn==1.7.1" "scikit-learn==$SK" "joblib==$JL" ;;
esac
case "${1:-all}" in
  all|kserve) mkvenv kserve "kserve==0.21.0" "scikit-learn==$SK" "joblib==$JL" ;;
esac
case "${1:-all}" in
  all|starlette) mkvenv starlette starlette orjson "uvicorn[standard]" ;;
esac
case "${1:-all}" in
  all|litserve) mkvenv litserve "litserve==0.2.19" "scikit-learn==$SK" "joblib==$JL" ;;
esac
case "${1:-all}" in
  all|bentoml) mkvenv bentoml "bentoml==1.4.40" "scikit-learn==$SK" "joblib==$JL" ;;
esac
case "${1:-all}" in
  # py-spy (a profiler with its own binary, shipped in the wheel) for bench/runtime/profile.sh
  all|tools) mkvenv tools "py-spy" ;;
esac
