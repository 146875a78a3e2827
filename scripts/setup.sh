#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine: system packages, a virtualenv, pip requirements.
#   bash scripts/setup.sh          runtime only (to run the app)
#   bash scripts/setup.sh --dev    plus test tools (pytest, Playwright), Ray, the LLM packages and Chromium for browser tests
#   bash scripts/setup.sh --team   runtime plus Ray for team mode (README "Team mode")
#   bash scripts/setup.sh --llm    runtime plus the LLM packages (requirements-llm.txt; compiles llama.cpp once)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
TEAM=0
LLM=0
[[ "${1:-}" == "--dev" ]] && DEV=1
[[ "${1:-}" == "--team" ]] && TEAM=1
[[ "${1:-}" == "--llm" ]] && LLM=1
PYTHON="${PYTHON:-python3}"

# bundled offline Fashion-MNIST (70k images); CJK font for Chinese text in the PDF strategy brief
apt_packages=(dataset-fashion-mnist fonts-noto-cjk)
if [[ $DEV == 1 ]]; then
  apt_packages+=(chromium)  # real browser for e2e tests
fi
if [[ $DEV == 1 || $LLM == 1 ]]; then
  apt_packages+=(cmake g++)  # pip compiles llama.cpp for llama-cpp-python (requirements-llm.txt)
fi

missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    echo "Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq || echo "apt-get update failed; trying with the package lists at hand"
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
      echo "WARNING: could not install ${missing[*]}; Fashion-MNIST and browser tests are skipped without them," \
        "and llama-cpp-python cannot be compiled without cmake and g++." >&2
    fi
  else
    echo "WARNING: no apt-get here; install ${missing[*]} yourself (Fashion-MNIST, browser tests, llama.cpp build)." >&2
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
requirements=requirements.txt
[[ $DEV == 1 ]] && requirements=requirements-dev.txt  # includes requirements-team.txt and requirements-llm.txt:
                                                      # CI runs the Ray and the LLM tests
# llama-cpp-python compiles llama.cpp with cmake: on every core, whichever build tool cmake picks
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
stamp=".venv/.installed-$(sha256sum requirements*.txt | sha256sum | cut -c1-16)-$DEV"
if [[ ! -f "$stamp" ]]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$requirements"
  touch "$stamp"
fi
if [[ $TEAM == 1 && ! -f "$stamp-team" ]]; then
  .venv/bin/python -m pip install --quiet -r requirements-team.txt
  touch "$stamp-team"
fi
if [[ $LLM == 1 && ! -f "$stamp-llm" ]]; then
  echo "Installing requirements-llm.txt: compiling llama.cpp takes several CPU-minutes the first time"
  .venv/bin/python -m pip install --quiet -r requirements-llm.txt
  touch "$stamp-llm"
fi
[[ $TEAM == 1 ]] && requirements="$requirements + requirements-team.txt"
[[ $LLM == 1 ]] && requirements="$requirements + requirements-llm.txt"
echo "Set-up done: $(.venv/bin/python --version), requirements from $requirements"
