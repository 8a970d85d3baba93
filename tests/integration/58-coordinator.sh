#!/usr/bin/env bash
# 58: the coordinator by the covenant rules, as every participant sees it: sectors that only signal
# (school, police) never coordinate; the first sector in the policy's order does, re-evaluated as
# others join; the coordinator hands over to a participant that accepts (kept when others join);
# a handover to a signal-only sector, or by a non-coordinator, is refused; "afgestemd" reaches
# everyone; every step is in the audit log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siglib.sh"
vn_setup
vn_broker_start
ORGS="school-de-linde:onderwijs politie-limburg:politie ggz-mondriaan:ggz wijkteam-heerlen:wijkteam jeugdhulp-xonar:jeugdhulp"
for o in $ORGS; do vn_org "${o%%:*}" "${o##*:}"; done
for o in $ORGS; do vn_agent_start "${o%%:*}"; done
KIND=567890120
coordinator_is() { # coordinator_is ORG EXPECTED: ORG's view of the match
    "$VANGNET" match show --agent "$(api "$1")" "$mid" --json |
        python3 -c "import json,sys; m=json.load(sys.stdin); sys.exit(m.get('coordinator', '') != '$2')"
}
refused() { # refused CMD...: exit 3 (the broker refused), message on stderr in $T/e
    set +e; "$@" >/dev/null 2>"$T/e"; local rc=$?; set -e
    [ $rc -eq 3 ] || fail "not refused ($rc): $* $(cat "$T/e")"
}

# 1. School and police only signal: a match without a coordinator.
sig_add school-de-linde $KIND schoolverzuim 8 --informed ouders >/dev/null
sig_add politie-limburg $KIND huiselijk-geweld 8 --informed ouders >/dev/null
wait_inbox politie-limburg "len(notices) == 1"
mid=$(match_of politie-limburg)
coordinator_is school-de-linde "" || fail "a signal-only sector coordinates"
"$VANGNET" match show --agent "$(api school-de-linde)" "$mid" | grep -q "coordinator: (none" || fail "show: no coordinator"

# 2. The GGZ joins: it may coordinate, so it does; everyone hears it.
sig_add ggz-mondriaan $KIND zorg-ouder 8 --informed ouders >/dev/null
wait_for "coordinator_is school-de-linde ggz-mondriaan"
wait_inbox politie-limburg "any(n['matchNotice']['event'] in ('new-signal', 'coordinator') and n['matchNotice']['match'].get('coordinator') == 'ggz-mondriaan' for n in notices)"
wait_inbox ggz-mondriaan "any(n['matchNotice']['match'].get('coordinator') == 'ggz-mondriaan' for n in notices)"
audit_grep -q "COORDINATOR_ASSIGNED .*ggz-mondriaan.*match=$mid\|COORDINATOR_ASSIGNED .*match=$mid.*ggz-mondriaan" || fail "assignment not audited"

# 3. The neighbourhood team joins: it comes earlier in the covenant's order.
sig_add wijkteam-heerlen $KIND huiselijk-geweld 8 --informed ouders >/dev/null
wait_for "coordinator_is ggz-mondriaan wijkteam-heerlen"
wait_inbox school-de-linde "any(n['matchNotice']['match'].get('coordinator') == 'wijkteam-heerlen' for n in notices)"

# 4. Handovers: not to a school, not by a non-coordinator; to the GGZ, accepted by the GGZ only.
refused "$VANGNET" match coordinate --agent "$(api wijkteam-heerlen)" "$mid" --handover school-de-linde
refused "$VANGNET" match coordinate --agent "$(api ggz-mondriaan)" "$mid" --handover ggz-mondriaan
"$VANGNET" match coordinate --agent "$(api wijkteam-heerlen)" "$mid" --handover ggz-mondriaan | grep -q "handover offered to ggz-mondriaan" || fail "handover"
wait_inbox ggz-mondriaan "any(n['matchNotice']['event'] == 'handover-offered' and n['matchNotice']['match'].get('handoverTo') == 'ggz-mondriaan' for n in notices)"
refused "$VANGNET" match coordinate --agent "$(api politie-limburg)" "$mid" --accept
"$VANGNET" match coordinate --agent "$(api ggz-mondriaan)" "$mid" --accept >/dev/null || fail "accept"
for org in school-de-linde politie-limburg wijkteam-heerlen; do
    wait_inbox $org "any(n['matchNotice']['event'] == 'coordinator' and n['matchNotice']['match'].get('coordinator') == 'ggz-mondriaan' for n in notices)"
done
audit_grep -q "HANDOVER_OFFERED .*match=$mid" || fail "handover not audited"

# 5. Youth care joins (first in the order), but the accepted handover stands.
sig_add jeugdhulp-xonar $KIND verwaarlozing 8 --informed ouders >/dev/null
wait_inbox jeugdhulp-xonar "len(notices) >= 1"
coordinator_is jeugdhulp-xonar ggz-mondriaan || fail "an accepted handover was overruled by a newcomer"

# 6. Afgestemd: one plan, and everyone hears it.
"$VANGNET" match coordinate --agent "$(api ggz-mondriaan)" "$mid" --agree | grep -q AFGESTEMD || fail "agree"
for org in school-de-linde politie-limburg wijkteam-heerlen jeugdhulp-xonar; do
    wait_inbox $org "any(n['matchNotice']['event'] == 'agreed' and n['matchNotice']['match']['agreed'] for n in notices)"
done
audit_grep -q "MATCH_AGREED .*match=$mid" || fail "agreement not audited"
"$VANGNET" audit verify --data "$T/broker-data" | grep -q intact || fail "audit chain"
echo ok
