# fulcrum in a container, built from the project's own setup: the build stage installs what
# building needs (scripts/deps.sh --build-only), builds the Release binary with CMake + Ninja and
# packs the same .deb that `tests/package/deb_test.sh` installs and checks; the runtime stage is
# debian:12-slim with that .deb installed (its Depends bring only the shared libraries it links).
#   docker build -t fulcrum .
#   docker run -p 8080:8080 -e DEEPSEEK_API_KEY=sk-... -v fulcrum-ledger:/var/lib/fulcrum fulcrum
# Another config: -v ./my.yaml:/etc/fulcrum/fulcrum.yaml:ro. Not built on the machine this was
# written on (it has no container engine): see README.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN bash scripts/deps.sh --build-only \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
          -DFULCRUM_TESTS=OFF -DFULCRUM_BENCH=OFF \
 && cmake --build build --parallel "$(nproc)" --target fulcrum \
 && cd build && cpack -G DEB

FROM debian:12-slim
COPY --from=build /src/build/fulcrum_*.deb /tmp/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates /tmp/fulcrum_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/fulcrum_*.deb \
 # In a container the port is published explicitly: listen on every interface.
 && sed -i 's|^listen: 127.0.0.1:8080.*|listen: 0.0.0.0:8080|' /etc/fulcrum/fulcrum.yaml \
 && /usr/bin/fulcrum validate --config /etc/fulcrum/fulcrum.yaml
USER fulcrum
WORKDIR /var/lib/fulcrum
VOLUME /var/lib/fulcrum
EXPOSE 8080
# SIGTERM: requests in flight finish, the ledger is flushed; SIGHUP reloads the config.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/fulcrum"]
CMD ["serve", "--config", "/etc/fulcrum/fulcrum.yaml"]
