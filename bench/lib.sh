# Shared by the load benchmarks, the PGO training run and the .deb test (sourced; run from the
# repository root): the fake upstream, the one-worker gateway and nginx configs they compare, and a
# wait for a process's "listening on" line. The sourcing script owns `pids` (killed at exit).

wait_line() {  # file pattern: wait until a line matches, 30 s at most (valgrind starts slowly)
  for _ in $(seq 300); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for $2 in $1" >&2; cat "$1" >&2; exit 1
}

shipped_threshold() {  # the calibrated score threshold of examples/deepseek-v4.yaml's first level
  grep -oE 'at: [0-9.]+' examples/deepseek-v4.yaml | head -1 | cut -d' ' -f2
}

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

start_fake_upstream() {  # dir -> fake_port (not in $(...): its pid must reach the cleanup)
  "${FAKE_UPSTREAM_BIN:-build/tests/fake_upstream}" 0 1 > "$1/fake.log" 2>&1 & pids+=($!)
  wait_line "$1/fake.log" "listening on"
  fake_port=$(grep -oE '[0-9]+$' "$1/fake.log")
}

write_gateway_config() {  # file ledger-yaml: one worker, one tier on the fake upstream
  cat > "$1" <<YAML
threads: 1
log: {access: false, level: warn}
ledger: $2
providers:
  fake: {base_url: "http://127.0.0.1:$fake_port/v1", max_connections: 4096}
tiers:
  flash: {provider: fake, model: fake-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
router: {default: flash}
YAML
}

write_nginx_config() {  # dir port [extra top-level lines]: one nginx worker proxying to the fake upstream
  mkdir -p "$1/nginx"
  cat > "$1/nginx.conf" <<NGINX
${3:-}
worker_processes 1;
daemon off;
pid $1/nginx/nginx.pid;
error_log $1/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1/nginx/body;
  proxy_temp_path $1/nginx/proxy;
  upstream fake { server 127.0.0.1:$fake_port; keepalive 128; }
  server {
    listen 127.0.0.1:$2;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
}

listening_port() {  # log -> the port of its "listening on 127.0.0.1:PORT" line
  grep 'listening on' "$1" | grep -oE '127\.0\.0\.1:[0-9]+' | head -1 | cut -d: -f2
}
