# brokersig.sh -- helpers for the broker's signal tests (50-54), driven by vn-sigpeer.
SIGPEER=${VN_SIGPEER:?VN_SIGPEER must point at vn-sigpeer}
# peer ORG COMMAND...: one request as ORG, straight over the wire.
peer() { local org=$1; shift; "$SIGPEER" --broker "$BROKER_EP" --broker-public "$T/keys/broker.public" --keys "$T/keys/$org.secret" "$@"; }
# The first signal id / match id in what a command printed.
sid() { sed -n 's/^signal \(S[0-9a-f]*\) .*/\1/p' | head -n 1; }
mid() { sed -n 's/.* match \(M[0-9a-f]*\) .*/\1/p' | head -n 1; }
# refused CODE COMMAND...: the command must be refused with CODE (exit 3).
refused() {
    local code=$1 out rc
    shift
    set +e
    out=$("$@" 2>&1); rc=$?
    set -e
    [ $rc -eq 3 ] && [[ $out == *"code=$code"* ]] || fail "expected $code from '$*': $rc $out"
}
