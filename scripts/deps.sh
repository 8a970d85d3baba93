# deps.sh -- sourced by the scripts: install the Debian packages vangnet needs, only those missing.
VN_PACKAGES="gcc pkg-config meson ninja-build python3 protobuf-c-compiler libprotobuf-c-dev
  libzmq3-dev libsodium-dev liblmdb-dev libinih-dev libjson-c-dev libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev
  libdecaf-dev cmake curl libcmocka-dev python3-requests python3-jsonschema openssl"

vn_install_deps() {
    local missing=()
    for pkg in $VN_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Optional, for `scripts/bench.sh e2e` only (the RabbitMQ peer figure), never for test.sh.
VN_BENCH_PACKAGES="rabbitmq-server python3-pika"

# An optimised build without tests in build-release/, for the demo and the benchmark.
vn_build_release() {
    if [ ! -f build-release/build.ninja ]; then
        meson setup build-release --buildtype=release -Dtests=disabled >/dev/null
    fi
    ninja -C build-release >/dev/null
}
