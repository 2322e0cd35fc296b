#!/bin/sh
# Run the RealWorld (Conduit) API test collection with newman against a fresh
# Inkstand on a free loopback port; fail on any failed assertion.
#   usage: tools/realworld/run.sh <venv bin dir> <collection.json>
set -eu
BIN=$1
COLLECTION=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
APP_PID=""

cleanup() {
    if [ -n "$APP_PID" ]; then
        kill "$APP_PID" 2>/dev/null || true
        wait "$APP_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export INKSTAND_DATABASE_URL="sqlite:///$WORK/inkstand.sqlite3"
export INKSTAND_SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')"
export INKSTAND_LOG_LEVEL=WARNING
export INKSTAND_INSTANCE_PATH="$WORK/instance"

"$BIN/inkstand" db upgrade >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; exit 1; }
# A Conduit-style community: everyone who signs up may write.
"$BIN/inkstand" site set new_account_role author
# Registration answers with a token at once, as the specification has it (docs/api.md).
"$BIN/inkstand" site set email_confirmation off
"$BIN/inkstand" serve --bind "127.0.0.1:$PORT" --workers 1 >"$WORK/server.log" 2>&1 &
APP_PID=$!

tries=0
until "$BIN/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/api/tags', timeout=1)" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 50 ] || ! kill -0 "$APP_PID" 2>/dev/null; then
        echo "Inkstand did not start:"; cat "$WORK/server.log"; exit 1
    fi
    sleep 0.2
done

# The collection's variables; the username is new on every run, as upstream's runner makes it.
USERNAME="u$(date +%s)"
status=0
"$HERE/node_modules/.bin/newman" run "$COLLECTION" \
    --global-var "APIURL=http://127.0.0.1:$PORT/api" \
    --global-var "USERNAME=$USERNAME" \
    --global-var "EMAIL=$USERNAME@mail.com" \
    --global-var "PASSWORD=conduit-password" || status=$?
if [ "$status" -ne 0 ]; then
    echo "Server log:"; tail -n 50 "$WORK/server.log"
fi
exit "$status"
