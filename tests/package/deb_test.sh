#!/usr/bin/env bash
# The installable package, for real: builds the .deb from the Release build, installs it on this
# machine with apt (its Depends resolved), then checks what was installed: `fulcrum validate` on
# the installed config, the systemd unit, the fulcrum user and its state directory, and requests
# served by the installed binary as the fulcrum user, routed by the installed model (against the
# fake upstream), a SIGHUP reload and a SIGTERM stop that flushes the ledger. Purges the package
# afterwards. Needs root (or sudo): it installs a system package.
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
fail() { echo "deb_test: $*" >&2; exit 1; }

cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr > /dev/null  # FHS paths; nothing is rebuilt
cmake --build build --target fulcrum fake_upstream > /dev/null
rm -f build/fulcrum_*.deb
(cd build && cpack -G DEB > /dev/null)
deb=$(ls "$PWD"/build/fulcrum_*.deb)
work=$(mktemp -d /tmp/fulcrum-deb.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  $SUDO dpkg --purge fulcrum > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq "$deb" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $deb failed"; }
echo "installed $(dpkg-query -W -f='${Package} ${Version}' fulcrum) from $(basename "$deb")"

# The installed files.
[ -x /usr/bin/fulcrum ] || fail "no /usr/bin/fulcrum"
for f in /usr/share/fulcrum/models/routellm-mixtral-gpt4.model /usr/share/fulcrum/models/domains.model \
         /usr/share/fulcrum/examples/deepseek-v4.yaml /etc/fulcrum/fulcrum.yaml /etc/default/fulcrum \
         /usr/lib/systemd/system/fulcrum.service /usr/share/doc/fulcrum/config.md; do
  [ -f "$f" ] || fail "missing $f"
done
grep -q "/etc/fulcrum/fulcrum.yaml" /var/lib/dpkg/info/fulcrum.conffiles || fail "the config is not a conffile"
/usr/bin/fulcrum validate --config /etc/fulcrum/fulcrum.yaml || fail "the installed config does not validate"
/usr/bin/fulcrum validate --config /usr/share/fulcrum/examples/smart-route.yaml || fail "an installed example does not validate"
getent passwd fulcrum > /dev/null || fail "no fulcrum user"
[ "$(stat -c %U /var/lib/fulcrum)" = fulcrum ] || fail "/var/lib/fulcrum is not the fulcrum user's"
[ "$(stat -c %a:%G /etc/default/fulcrum)" = "640:fulcrum" ] || fail "/etc/default/fulcrum is readable by others"
if command -v systemd-analyze > /dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/fulcrum.service 2>&1 | grep -v "^$" | grep -iE "error|invalid|unknown" \
    && fail "systemd-analyze found problems in the unit" || true
fi
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' /usr/lib/systemd/system/fulcrum.service || fail "no reload on SIGHUP"
grep -q '^User=fulcrum$' /usr/lib/systemd/system/fulcrum.service || fail "the unit does not run as fulcrum"

# The installed binary serving, as the service would run it (its user, its state directory);
# setpriv execs it, so the signals below reach fulcrum itself.
build/tests/fake_upstream 0 1 > "$work/fake.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/fake.log" && break; sleep 0.1; done
fake_port=$(grep -oE '[0-9]+$' "$work/fake.log")
# The shipped example's calibrated threshold, so the check follows a retrained model.
threshold=$(source bench/lib.sh && shipped_threshold)
cat > "$work/fulcrum.yaml" <<YAML
providers:
  fake: {base_url: "http://127.0.0.1:$fake_port/v1"}
tiers:
  flash: {provider: fake, model: fake-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
  pro: {provider: fake, model: fake-pro, price: {input: 0.435, cached_input: 0.003625, output: 0.87}}
router:
  default: flash
  model: /usr/share/fulcrum/models/routellm-mixtral-gpt4.model
  policies: [{type: threshold, on: score, below: flash, levels: [{at: $threshold, tier: pro}]}]
ledger: {path: /var/lib/fulcrum/deb-test-ledger.db}
log: {access: false}
YAML
chmod 755 "$work"; chmod 644 "$work/fulcrum.yaml"
setpriv --reuid=fulcrum --regid=fulcrum --init-groups /usr/bin/fulcrum serve --config "$work/fulcrum.yaml" --listen 127.0.0.1:0 > "$work/serve.log" 2>&1 &
serve_pid=$!; pids+=($serve_pid)
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$work/serve.log" | head -1 | cut -d: -f2)
[ -n "$port" ] || { cat "$work/serve.log"; fail "the installed binary did not start"; }
ask() {
  curl -s -D "$work/headers" -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$port/v1/chat/completions" \
    -H 'content-type: application/json' -d "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}"
}
[ "$(ask 'hi, how are you?')" = 200 ] || { cat "$work/body"; fail "a request through the installed binary failed"; }
grep -qi '^x-fulcrum-tier: flash' "$work/headers" || fail "small talk did not go to flash: $(grep -i x-fulcrum "$work/headers")"
puzzle='Three boxes are labelled apples, oranges and mixed, and every label is wrong. You may take one fruit from one box. Which box do you pick from, and how do you then relabel all three? Prove that your strategy always works.'
[ "$(ask "$puzzle")" = 200 ] || fail "the second request failed"
grep -qi '^x-fulcrum-tier: pro' "$work/headers" || fail "the logic puzzle did not go to pro: $(grep -i x-fulcrum "$work/headers")"
kill -HUP "$serve_pid"
for _ in $(seq 50); do grep -q "reloaded" "$work/serve.log" && break; sleep 0.1; done
grep -q "reloaded" "$work/serve.log" || { cat "$work/serve.log"; ls -la "$work"; fail "SIGHUP did not reload"; }
[ "$(ask 'hello again')" = 200 ] || fail "no answer after the reload"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "SIGTERM: the server exited with $?"
rows=$(sqlite3 /var/lib/fulcrum/deb-test-ledger.db 'SELECT COUNT(*) FROM requests')
[ "$rows" = 3 ] || fail "the ledger holds $rows requests, not 3"
echo "deb_test: the .deb installs, validates, serves as the fulcrum user (flash for small talk, pro for the puzzle), reloads on SIGHUP, stops on SIGTERM with 3 ledger rows"
