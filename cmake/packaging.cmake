# `cmake --install` and CPack: the binary, the shipped models, the example configs, a default
# config whose paths point at the installed files, and (for the .deb) a systemd unit, its
# environment file, and maintainer scripts that create the fulcrum user.
# For a package or a system install configure with -DCMAKE_INSTALL_PREFIX=/usr: /etc and /var
# then follow the FHS (GNUInstallDirs); another prefix keeps them under it.
include(GNUInstallDirs)

set(FULCRUM_DATA_DIR ${CMAKE_INSTALL_FULL_DATADIR}/fulcrum)
set(FULCRUM_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/fulcrum)
set(FULCRUM_STATE_DIR ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/fulcrum)

# The default config: examples/deepseek-v4.yaml with the installed model and a ledger in the
# state directory, on loopback until keys are added.
file(READ ${PROJECT_SOURCE_DIR}/examples/deepseek-v4.yaml default_config)
string(REPLACE "model: ../models/" "model: ${FULCRUM_DATA_DIR}/models/" default_config "${default_config}")
string(REPLACE "  path: fulcrum-ledger.db" "  path: ${FULCRUM_STATE_DIR}/fulcrum-ledger.db" default_config "${default_config}")
string(REPLACE "listen: 0.0.0.0:8080" "listen: 127.0.0.1:8080   # 0.0.0.0 once gateway keys are set (below)"
       default_config "${default_config}")
string(REPLACE "   # relative to this file" "" default_config "${default_config}")
file(WRITE ${PROJECT_BINARY_DIR}/packaging/fulcrum.yaml "${default_config}")

install(TARGETS fulcrum RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/models/routellm-mixtral-gpt4.model ${PROJECT_SOURCE_DIR}/models/domains.model
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fulcrum/models)
install(FILES ${PROJECT_SOURCE_DIR}/examples/deepseek-v4.yaml ${PROJECT_SOURCE_DIR}/examples/smart-route.yaml
              ${PROJECT_SOURCE_DIR}/examples/article-policy.yaml ${PROJECT_SOURCE_DIR}/examples/local-openai-compatible.yaml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fulcrum/examples)
install(FILES ${PROJECT_BINARY_DIR}/packaging/fulcrum.yaml DESTINATION ${FULCRUM_CONFIG_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fulcrum.default DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
        RENAME fulcrum)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fulcrum.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/config.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The .deb: `cpack -G DEB --config build/CPackConfig.cmake` (scripts/package.sh).
set(CPACK_PACKAGE_NAME fulcrum)
set(CPACK_PACKAGE_VENDOR "fulcrum")
set(CPACK_PACKAGE_CONTACT "fulcrum maintainers <fulcrum@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-hosted LLM routing gateway: per-request choice of model tier")
set(CPACK_PACKAGE_DESCRIPTION "fulcrum sits between OpenAI- and Anthropic-compatible clients and the providers and picks, per request, the tier that answers: a learned router, confidence cascades, rules and expected cost. It streams the answer, prices every token, keeps a ledger (SQLite or PostgreSQL) and serves /metrics and a dashboard.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries the binary links (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "${FULCRUM_CONFIG_DIR}/fulcrum.yaml\n${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/fulcrum\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm ${PROJECT_SOURCE_DIR}/packaging/postrm
    ${PROJECT_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
