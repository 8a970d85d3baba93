#!/usr/bin/env python3
"""openapi.py -- writes the agent's OpenAPI 3.0 document (the HTTP/JSON API's contract, served at
/v1/openapi.json) and a C file embedding it. One source for the server, the tests and the docs.
Usage: openapi.py OUT.json OUT.c"""
import json
import os
import re
import sys

# The one size limit and the version, from the header the C code uses (lib/vn_api_limits.h).
_LIMITS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib",
                            "vn_api_limits.h")).read()
VERSION = re.search(r'#define VN_HTTP_API_VERSION "([^"]+)"', _LIMITS).group(1)
MAX_CONTENT = eval(re.search(r"#define VN_API_MAX_CONTENT \(([0-9 *]+)\)", _LIMITS).group(1))
WAIT_MAX = 30                     # http_api.h HTTP_API_WAIT_MAX
LIMIT_MAX = 100                   # http_api.h HTTP_API_LIMIT_MAX

HEX32 = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
TIME = {"type": "string", "format": "date-time",
        "description": "RFC 3339, always UTC (Z)", "pattern": "Z$"}
ORG = {"type": "string", "pattern": "^[a-z][a-z0-9-]{2,63}$"}
SIGNAL_ID = {"type": "string", "pattern": "^S[0-9a-f]{32}$"}
MATCH_ID = {"type": "string", "pattern": "^M[0-9a-f]{32}$"}
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
PAGE_MAX = 500                    # http_api_signals.c PAGE_MAX, the broker's page limit
CONSENT_PAGE_MAX = 100            # http_api_routes.c CONSENT_PAGE_MAX (broker/consent_list.c)
CONSENT_ID = {"type": "string", "pattern": "^c[0-9a-f]{16}$"}
BSN = {"type": "string", "pattern": "^[0-9]{9}$", "description":
       "the subject's citizen number (BSN, elfproef-checked); it never leaves the agent, which "
       "replaces it with a keyed pseudonym. Only ever in a body, never in a URL."}


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def obj(props, required=(), desc=None):
    o = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        o["required"] = list(required)
    if desc:
        o["description"] = desc
    return o


def strings(desc=None, max_items=32):
    o = {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": max_items}
    if desc:
        o["description"] = desc
    return o


MATCH_PROPS = {
    "id": MATCH_ID,
    "kind": {"type": "string", "enum": ["client", "family"],
             "description": "client: every signal on one youth; family: youths sharing a parent"},
    "participants": {"type": "array", "items": ref("MatchParticipant")},
    "coordinator": dict(ORG, description="by the covenant rules or an accepted handover; absent "
                                         "when no participant may coordinate"),
    "handoverTo": dict(ORG, description="a pending handover's proposed coordinator"),
    "agreed": {"type": "boolean", "description": "afgestemd: the participants agreed one plan"},
    "coordinatorByHandover": {"type": "boolean",
                              "description": "present (true) when the coordinator accepted a "
                                             "handover: it stays while it has an active signal"},
    "created": TIME,
    "updated": TIME,
}

SCHEMAS = {
    "Problem": obj({
        "type": {"type": "string", "description": "urn:vangnet:problem:CODE"},
        "title": {"type": "string", "description": "short English title of the code"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what went wrong, in English"},
        "instance": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9:-]*$",
                 "description": "vangnet's stable refusal or error code (docs/api.md, docs/policy.md)"},
        "titleNl": {"type": "string", "description": "the title in Dutch"},
        "detailNl": {"type": "string", "description": "the detail in Dutch"},
        "messageId": HEX32,
        "clientRef": {"type": "string"},
        "outcome": {"type": "string", "enum": ["refused"]},
        "auditSeq": {"type": "integer", "minimum": 0},
        "auditHash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "repeated": {"type": "boolean"},
        "submitted": TIME,
        "decided": TIME,
        "recipient": ORG,
        "perRecipient": {"type": "array", "items": ref("Outcome"),
                         "description": "a refused notification to match:ID: each participant's "
                                        "verdict"},
    }, ["type", "title", "status", "detail", "code", "titleNl", "detailNl"],
        "RFC 9457 problem details, with vangnet's code and the reason in English and Dutch"),
    "Content": obj({
        "mediaType": {"type": "string", "minLength": 3, "maxLength": 127,
                      "pattern": "^[!-~]+/[!-~][ -~]*$", "example": "application/pdf"},
        "data": {"type": "string", "format": "byte",
                 "maxLength": (MAX_CONTENT + 2) // 3 * 4,
                 "description": "the content, base64 (RFC 4648 with padding), at most %d bytes "
                                "decoded" % MAX_CONTENT},
    }, ["mediaType", "data"], "content and its media type; sealed end to end"),
    "Justification": obj({
        "key": {"type": "string", "minLength": 1, "maxLength": 128},
        "value": {"type": "string", "minLength": 1, "maxLength": 1024},
    }, ["key", "value"]),
    "NewNotification": obj({
        "to": {"type": "array", "minItems": 1, "maxItems": 16,
               "items": {"type": "string", "pattern": "^([a-z][a-z0-9-]{2,63}|match:M[0-9a-f]{32})$"},
               "description": "organisation ids, or match:ID: one envelope to each other "
                              "participant of that match, each decided by the policy on its own "
                              "(perRecipient in the answer)"},
        "subjectBsn": BSN,
        "subjectName": {"type": "string", "maxLength": 200,
                        "description": "the subject's name, sealed in the content beside the BSN"},
        "subjectBirthDate": dict(DATE, description="the subject's birth date, sealed likewise"),
        "anonymous": {"type": "boolean", "description": "no subject (an advice request)"},
        "category": {"type": "string", "minLength": 1, "maxLength": 256},
        "basis": {"type": "string", "minLength": 1, "maxLength": 256,
                  "description": "the legal basis (docs/policy.md)"},
        "justification": {"type": "array", "items": ref("Justification"), "maxItems": 16},
        "userId": {"type": "string", "minLength": 1, "maxLength": 256,
                   "description": "the professional who sends (required, never defaulted)"},
        "userRole": {"type": "string", "minLength": 1, "maxLength": 256,
                     "description": "the professional's role (required, never defaulted)"},
        "content": ref("Content"),
        "expiresIn": {"type": "integer", "minimum": 60, "maximum": 315360000},
        "wait": {"type": "integer", "minimum": 0, "maximum": WAIT_MAX,
                 "description": "seconds to wait for the broker's receipt (default 10)"},
        "clientRef": {"type": "string", "maxLength": 64,
                      "description": "the IT system's idempotency key: sending again with the "
                                     "same clientRef creates nothing new and answers the first "
                                     "outcome (200, repeated); a different request under it is "
                                     "409 client-ref-conflict"},
    }, ["to", "category", "basis", "userId", "userRole", "content"]),
    "SubmitResult": obj({
        "messageId": HEX32,
        "clientRef": {"type": "string"},
        "outcome": {"type": "string", "enum": ["accepted", "queued"]},
        "auditSeq": {"type": "integer", "minimum": 0},
        "auditHash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "repeated": {"type": "boolean", "description": "a repeat of a clientRef: nothing new "
                                                       "was created, this is the first outcome"},
        "submitted": TIME,
        "decided": TIME,
        "recipient": ORG,
        "perRecipient": {"type": "array", "items": ref("Outcome"),
                         "description": "a notification to match:ID: each participant's verdict"},
    }, ["messageId", "outcome"]),
    "Outcome": obj({
        "messageId": HEX32,
        "clientRef": {"type": "string"},
        "outcome": {"type": "string", "enum": ["accepted", "queued", "refused"],
                    "description": "accepted and refused are final; queued: stored by the agent, "
                                   "no broker answer yet"},
        "auditSeq": {"type": "integer", "minimum": 0},
        "auditHash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "code": {"type": "string"},
        "reason": {"type": "string"},
        "reasonNl": {"type": "string"},
        "repeated": {"type": "boolean"},
        "submitted": TIME,
        "decided": TIME,
        "recipient": ORG,
        "perRecipient": {"type": "array", "items": ref("Outcome")},
    }, ["messageId", "outcome"], "what became of one of our submits"),
    "OutcomeSearch": obj({
        "clientRef": {"type": "string", "minLength": 1, "maxLength": 64},
        "wait": {"type": "integer", "minimum": 0, "maximum": WAIT_MAX},
    }, ["clientRef"]),
    "Notice": obj({
        "code": {"type": "string"},
        "reason": {"type": "string"},
        "recipient": {"type": "string"},
        "aboutMessageId": HEX32,
    }, ["code", "reason"], "what happened to one of our own notifications"),
    "InboxItem": obj({
        "messageId": HEX32,
        "inboxCursor": {"type": "string", "pattern": "^[a-z]+$"},
        "kind": {"type": "string", "enum": ["notification", "notice", "match-notice"],
                 "description": "notification: from another organisation; notice: about one of "
                                "ours; match-notice: from the broker, about a match of our cases"},
        "received": TIME,
        "sender": ORG,
        "senderSector": {"type": "string"},
        "category": {"type": "string"},
        "basis": {"type": "string"},
        "justification": {"type": "array", "items": ref("Justification")},
        "subjectPseudonym": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "created": TIME,
        "expires": TIME,
        "userId": {"type": "string"},
        "userRole": {"type": "string"},
        "content": ref("Content"),
        "notice": ref("Notice"),
        "subjectBsn": dict(BSN, description="the subject's citizen number, sealed in the content "
                                            "by the sender: what the recipient's system links on"),
        "subjectName": {"type": "string"},
        "subjectBirthDate": DATE,
        "matchId": MATCH_ID,
        "matchNotice": ref("MatchNotice"),
        "contactCard": ref("ContactCard"),
        "cases": {"type": "array", "items": ref("LocalCase"),
                  "description": "our own cases the item is about (a match notice, a contact card)"},
        "senderRevoked": {"type": "boolean",
                          "description": "accepted before the sender was revoked: treat with care"},
    }, ["messageId", "inboxCursor", "kind"]),
    "InboxPage": obj({
        "items": {"type": "array", "items": ref("InboxItem")},
        "nextCursor": {"type": "string", "pattern": "^[a-z]+$",
                       "description": "pass as ?after= for the next page"},
    }, ["items"]),
    "NewConsent": obj({
        "subjectBsn": BSN,
        "givenBy": {"type": "string", "enum": ["client", "wettelijk-vertegenwoordiger"]},
        "recipients": strings("organisation ids or sector:NAME"),
        "categories": strings(),
        "purpose": {"type": "string", "minLength": 1, "maxLength": 1024},
        "validFrom": TIME,
        "expires": TIME,
    }, ["subjectBsn", "givenBy", "recipients", "categories", "purpose", "expires"]),
    "ConsentSearch": obj({
        "subjectBsn": BSN,
        "after": CONSENT_ID,
        "limit": {"type": "integer", "minimum": 1, "maximum": CONSENT_PAGE_MAX},
    }, ["subjectBsn"]),
    "Consent": obj({
        "id": {"type": "string"},
        "subjectPseudonym": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "givenBy": {"type": "string"},
        "recipients": strings(),
        "categories": strings(),
        "purpose": {"type": "string"},
        "validFrom": TIME,
        "expires": TIME,
        "withdrawn": TIME,
        "registered": TIME,
    }, ["id", "givenBy", "recipients", "categories", "purpose"]),
    "ConsentList": obj({
        "items": {"type": "array", "items": ref("Consent")},
        "next": dict(CONSENT_ID, description="more follow: pass as after for the next page"),
    }, ["items"]),
    "Organisation": obj({
        "id": ORG,
        "displayName": {"type": "string", "maxLength": 128,
                        "description": "what people call it (absent if the operator gave none)"},
        "sector": {"type": "string"},
        "revoked": {"type": "boolean"},
        "added": TIME,
        "rotated": TIME,
    }, ["id", "sector", "revoked"]),
    "OrganisationList": obj({
        "items": {"type": "array", "items": ref("Organisation")},
        "generation": {"type": "integer", "minimum": 0},
    }, ["items", "generation"]),
    "Status": obj({
        "org": ORG,
        "connected": {"type": "boolean"},
        "outboxPending": {"type": "integer", "minimum": 0},
        "heldPending": {"type": "integer", "minimum": 0,
                        "description": "submits held until the pseudonym service answers "
                                       "(queued, code pseudonym-unavailable)"},
        "inboxPending": {"type": "integer", "minimum": 0},
        "directoryGeneration": {"type": "integer", "minimum": 0},
        "directoryOrgs": {"type": "integer", "minimum": 0},
        "sent": {"type": "integer", "minimum": 0},
        "received": {"type": "integer", "minimum": 0},
        "checkpointSize": {"type": "integer", "minimum": 0},
        "logInconsistent": {"type": "boolean"},
        "maxContentBytes": {"type": "integer", "enum": [MAX_CONTENT],
                            "description": "the one size limit: content bytes per notification"},
        "apiVersion": {"type": "string", "enum": [VERSION]},
        "revoked": {"type": "boolean", "description": "the broker operator revoked us"},
        "disconnectReason": {"type": "string", "description": "while not connected: why"},
        "caller": {"type": "string", "description": "who the agent took this caller for "
                                                    "(http:NAME for an API client)"},
    }, ["org", "connected", "outboxPending", "inboxPending", "maxContentBytes", "apiVersion"]),
    "Acknowledgement": obj({"messageId": HEX32, "acknowledged": {"type": "boolean"}},
                           ["messageId", "acknowledged"],
                           "what `vangnet ack --json` prints (the HTTP answer is a bare 204)"),
    "Health": obj({"status": {"type": "string", "enum": ["up"]}}, ["status"]),
    "Contact": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "role": {"type": "string", "maxLength": 200},
        "phone": {"type": "string", "maxLength": 200},
        "email": {"type": "string", "maxLength": 200},
    }, ["name"], "who the other professionals in a match can reach: a name and a phone number "
                 "or e-mail address. Sent only to matched organisations, sealed to them"),
    "NewSignal": obj({
        "youthBsn": dict(BSN, description="the youth's citizen number: pseudonymised by the agent, "
                                          "it never reaches the broker"),
        "parentBsns": {"type": "array", "items": BSN, "maxItems": 4,
                       "description": "0-4 parents or carers (a family match links through them)"},
        "category": {"type": "string", "minLength": 1, "maxLength": 64,
                     "description": "a signal-category term of the signed vocabulary "
                                    "(GET /v1/vocabulary)"},
        "youthAge": {"type": "integer", "minimum": 0, "maximum": 120,
                     "description": "whole years; the birth date stays at the agency"},
        "informed": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": True,
                     "items": {"type": "string", "enum": ["ouders", "jongere", "niet"]},
                     "description": "who was told: ouders, jongere, both, or niet alone with "
                                    "notInformedReason (the policy's age bands decide what is "
                                    "required)"},
        "notInformedReason": {"type": "string", "maxLength": 500},
        "signalDate": dict(DATE, description="the day of the signal (default today, never in the "
                                             "future)"),
        "activeUntil": dict(TIME, description="default: the policy's maximum (two years)"),
        "userId": {"type": "string", "minLength": 1, "maxLength": 256,
                   "description": "the professional who registers it (required, never defaulted)"},
        "userRole": {"type": "string", "minLength": 1, "maxLength": 256},
        "clientRef": {"type": "string", "maxLength": 64,
                      "description": "the IT system's own case reference: kept by the agent, "
                                     "shown with every match notice about this signal, never "
                                     "sent to the broker"},
        "contact": ref("Contact"),
    }, ["youthBsn", "category", "youthAge", "informed", "userId", "userRole", "contact"]),
    "Signal": obj({
        "id": SIGNAL_ID,
        "owner": ORG,
        "state": {"type": "string", "enum": ["active", "inactive", "withdrawn"],
                  "description": "inactive: past activeUntil, still matched, its owner no longer "
                                 "told"},
        "category": {"type": "string"},
        "youthPseudonym": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "parentPseudonyms": {"type": "array", "items": {"type": "string",
                                                        "pattern": "^[0-9a-f]{64}$"}},
        "youthBsn": dict(BSN, description="from the agent's local case (absent if unknown there)"),
        "clientRef": {"type": "string"},
        "signalDate": DATE,
        "activeUntil": TIME,
        "deleteAfter": TIME,
        "registered": TIME,
        "withdrawn": TIME,
        "informed": {"type": "array", "items": {"type": "string"}},
        "notInformedReason": {"type": "string"},
        "youthAge": {"type": "integer", "minimum": 0},
        "userId": {"type": "string"},
        "userRole": {"type": "string"},
        "contact": ref("Contact"),
        "auditSeq": {"type": "integer", "minimum": 0,
                     "description": "the broker's audit record of a registration or withdrawal"},
    }, ["id", "owner", "state", "category", "informed", "youthAge"],
        "one of our signals: the broker's record joined with the agent's local case (the CLI's "
        "--json leaves out what its client library does not carry: parentPseudonyms, userId, "
        "userRole, the contact's details but its name)"),
    "SignalList": obj({
        "items": {"type": "array", "items": ref("Signal")},
        "next": dict(SIGNAL_ID, description="more follow: pass as after for the next page"),
    }, ["items"]),
    "SignalSearch": obj({
        "youthBsn": BSN,
        "after": SIGNAL_ID,
        "limit": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX},
    }, ["youthBsn"]),
    "MatchParticipant": obj({
        "org": ORG,
        "sector": {"type": "string"},
        "signalId": SIGNAL_ID,
        "category": {"type": "string"},
        "signalDate": DATE,
        "active": {"type": "boolean"},
        "registered": TIME,
    }, ["org", "sector", "signalId", "category", "active"]),
    "LocalCase": obj({
        "signalId": SIGNAL_ID,
        "clientRef": {"type": "string"},
        "youthBsn": BSN,
        "category": {"type": "string"},
    }, ["signalId"], "one of our own cases: the signal and what the agent keeps of it locally"),
    "ContactCard": obj({
        "from": ORG,
        "matchId": MATCH_ID,
        "signalId": SIGNAL_ID,
        "signalCategory": {"type": "string"},
        "name": {"type": "string"},
        "role": {"type": "string"},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    }, ["matchId", "signalId", "name"], "another participant's contact card, sealed to us"),
    "Match": obj(dict(MATCH_PROPS, **{
        "cases": {"type": "array", "items": ref("LocalCase")},
        "contactCards": {"type": "array", "items": ref("ContactCard")},
        "auditSeq": {"type": "integer", "minimum": 0,
                     "description": "the broker's audit record of a coordination step"},
    }), ["id", "kind", "participants", "agreed", "cases", "contactCards"],
        "a match as this organisation sees it: the broker's view, our own cases in it, and the "
        "contact cards the other participants sent"),
    "MatchInfo": obj(MATCH_PROPS, ["id", "kind", "participants", "agreed"],
                     "a match as the broker told it"),
    "MatchList": obj({
        "items": {"type": "array", "items": ref("Match")},
        "next": dict(MATCH_ID, description="more follow: pass as after for the next page"),
    }, ["items"]),
    "Coordination": obj({
        "action": {"type": "string", "enum": ["handover", "accept-handover", "agree"],
                   "description": "handover: the coordinator proposes `to`; accept-handover: the "
                                  "proposed one takes over; agree: mark the match afgestemd "
                                  "(one plan)"},
        "to": dict(ORG, description="for a handover: an active participant whose sector may "
                                    "coordinate"),
    }, ["action"]),
    "MatchNotice": obj({
        "event": {"type": "string", "enum": ["match", "new-signal", "coordinator",
                                             "handover-offered", "agreed", "signal-withdrawn"]},
        "match": ref("MatchInfo"),
        "auditSeq": {"type": "integer", "minimum": 0},
    }, ["event", "match", "auditSeq"], "what changed in a match of our cases"),
    "PolicyField": obj({
        "name": {"type": "string", "description": "the justification key"},
        "type": {"type": "string", "enum": ["text", "date", "msgid", "choice"]},
        "choices": {"type": "array", "items": {"type": "string"},
                    "description": "for a choice: the values it takes"},
    }, ["name", "type"]),
    "PolicyBasis": obj({
        "basis": {"type": "string", "description": "the legal basis, as NewNotification.basis"},
        "law": {"type": "string"},
        "recipientSectors": {"type": "array", "items": {"type": "string"},
                             "description": "sectors it allows as recipients (* any)"},
        "recipients": {"type": "array", "items": ORG,
                       "description": "the organisations of the directory in those sectors (not "
                                      "revoked, not ourselves)"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "subject": {"type": "string", "enum": ["required", "forbidden", "optional"],
                    "description": "forbidden: anonymous only"},
        "consent": {"type": "boolean",
                    "description": "consent-ref must name a registered, current consent"},
        "replyTo": {"type": "string",
                    "description": "in-reply-to must name a message of this basis the recipient "
                                   "sent us"},
        "review": {"type": "boolean", "description": "allowed, but flagged for review"},
        "match": {"type": "boolean", "description": "the notification must go to match:ID"},
        "fields": {"type": "array", "items": ref("PolicyField"),
                   "description": "the justification fields it requires"},
    }, ["basis", "recipientSectors", "recipients", "categories", "subject", "consent", "review",
        "match", "fields"]),
    "Policy": obj({
        "sector": {"type": "string", "description": "our sector, as the directory has it"},
        "bases": {"type": "array", "items": ref("PolicyBasis")},
    }, ["sector", "bases"], "the bases the broker's policy lets this organisation use"),
    "VocabularyTerm": obj({
        "kind": {"type": "string", "enum": ["signal-category", "category", "justification"]},
        "term": {"type": "string"},
        "glossEn": {"type": "string"},
        "definition": {"type": "string", "description": "in Dutch"},
    }, ["kind", "term", "glossEn", "definition"]),
    "Vocabulary": obj({
        "name": {"type": "string"},
        "revision": {"type": "integer", "minimum": 0,
                     "description": "0: the broker sent none yet"},
        "verified": {"type": "boolean", "description": "signed by the pinned broker key"},
        "terms": {"type": "array", "items": ref("VocabularyTerm")},
    }, ["revision", "verified", "terms"], "the broker's signed vocabulary"),
    "NewWebhook": obj({"url": {"type": "string", "maxLength": 512, "pattern": "^https?://"}},
                      ["url"]),
    "Webhook": obj({
        "id": HEX32,
        "url": {"type": "string"},
        "created": TIME,
        "apiClient": {"type": "string"},
        "secret": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                   "description": "HMAC-SHA256 key for the notices, hex; only in the answer "
                                  "that registered the webhook"},
    }, ["id", "url", "created", "apiClient"]),
    "WebhookList": obj({"items": {"type": "array", "items": ref("Webhook")}}, ["items"]),
    "WebhookNotice": obj({
        "type": {"type": "string", "enum": ["inbox"]},
        "id": HEX32,
        "org": ORG,
        "pending": {"type": "integer", "minimum": 1},
        "sent": TIME,
    }, ["type", "id", "org", "pending", "sent"],
        "what the agent POSTs to a webhook: no content, no citizen number. Header "
        "Vangnet-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, UNIX + '.' + body))"),
}

VERSION_HEADER = {"API-Version": {"description": "the full version of this API",
                                  "schema": {"type": "string", "example": VERSION}}}


def ok(desc, schema=None, status_headers=None):
    r = {"description": desc, "headers": dict(VERSION_HEADER)}
    if status_headers:
        r["headers"].update(status_headers)
    if schema:
        r["content"] = {"application/json": {"schema": ref(schema)}}
    return r


def problem(desc):
    return {"description": desc, "headers": dict(VERSION_HEADER),
            "content": {"application/problem+json": {"schema": ref("Problem")}}}


COMMON = {
    "401": problem("no token, or an unknown or revoked one (code unauthenticated)"),
    "403": problem("the API client lacks the scope (code forbidden)"),
    "500": problem("internal error"),
    "503": problem("the agent is busy or its store is unavailable; Retry-After says when to retry"),
}
BAD = problem("malformed request: invalid JSON, an unknown member, a wrong type, an invalid "
              "field or query parameter, or a citizen number in the URL (code bsn-in-url)")


def op(op_id, tag, summary, responses, body=None, params=None, public=False, scope=None):
    o = {"operationId": op_id, "tags": [tag], "summary": summary, "responses": {}}
    if scope:
        o["description"] = "Needs an API client with the scope `%s`." % scope
    if params:
        o["parameters"] = params
    if body:
        o["requestBody"] = {"required": True,
                            "content": {"application/json": {"schema": ref(body)}}}
    resp = dict(responses)
    resp["400"] = BAD   # any request may carry an unknown query parameter or a BSN in its URL
    resp["413"] = problem("the content exceeds %d bytes, or a body is larger than such content "
                          "needs (code too-large)" % MAX_CONTENT)
    if body:
        resp["415"] = problem("the body is not application/json")
    if public:
        o["security"] = []
        resp.setdefault("500", COMMON["500"])
    else:
        for k, v in COMMON.items():
            resp.setdefault(k, v)
    o["responses"] = dict(sorted(resp.items()))
    return o


def path_param(name, desc, schema):
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": schema}


LIMIT_PARAM = {"name": "limit", "in": "query", "required": False,
               "description": "items per page (1..%d, default 100)" % PAGE_MAX,
               "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX}}
AFTER_PARAM = {"name": "after", "in": "query", "required": False,
               "description": "the next of the previous page"}


PATHS = {
    "/openapi.json": {"get": op("getOpenapi", "meta", "This document (no authentication, CORS)",
                                {"200": {"description": "the OpenAPI document",
                                         "headers": dict(VERSION_HEADER),
                                         "content": {"application/json": {
                                             "schema": {"type": "object"}}}}}, public=True)},
    "/health": {"get": op("getHealth", "meta", "Liveness (no authentication)",
                          {"200": ok("the API is up", "Health")}, public=True)},
    "/status": {"get": op("getStatus", "meta", "The agent's state and the API's size limit",
                          {"200": ok("status", "Status")})},
    "/organisations": {"get": op("listOrganisations", "directory",
                                 "The broker's signed directory: who can receive",
                                 {"200": ok("the organisations", "OrganisationList")})},
    "/notifications": {"post": op(
        "createNotification", "notifications",
        "Send a notification (sealed and signed by the agent)",
        {"200": ok("a repeat of a clientRef whose notification was accepted", "SubmitResult"),
         "409": problem("the clientRef was used for a different request (client-ref-conflict)"),
         "201": ok("accepted by the broker", "SubmitResult",
                   {"Location": {"description": "the notification",
                                 "schema": {"type": "string"}}}),
         "202": ok("stored and queued: the broker's receipt has not come yet", "SubmitResult"),
         "403": problem("the API client lacks the scope send, or the organisation was revoked"),
         "422": problem("refused: by the broker's policy (code as in docs/policy.md, with "
                        "messageId and auditSeq), or an unknown recipient")},
        body="NewNotification", scope="send")},
    "/notifications/_search": {"post": op(
        "searchNotificationOutcome", "notifications",
        "The outcome of a submit by its clientRef (also after the agent restarted)",
        {"200": ok("the outcome", "Outcome"), "404": problem("nothing was stored under it")},
        body="OutcomeSearch", scope="send")},
    "/notifications/{messageId}": {"get": op(
        "getNotificationOutcome", "notifications",
        "The outcome of one of our notifications: accepted, refused or still queued",
        {"200": ok("the outcome", "Outcome"), "404": problem("no such notification of ours")},
        params=[path_param("messageId", "the messageId the agent gave it", HEX32),
                {"name": "wait", "in": "query", "required": False,
                 "description": "while queued, wait up to this many seconds for the broker",
                 "schema": {"type": "integer", "minimum": 0, "maximum": WAIT_MAX}}],
        scope="send")},
    "/inbox": {"get": op(
        "listInbox", "inbox",
        "What arrived and is not yet acknowledged, oldest first: notifications (contact cards "
        "among them), notices about our own notifications, match notices about our cases",
        {"200": ok("a page of the inbox", "InboxPage")},
        params=[
            {"name": "wait", "in": "query", "required": False,
             "description": "long-poll: seconds to wait for something when the page would be "
                            "empty (0..%d)" % WAIT_MAX,
             "schema": {"type": "integer", "minimum": 0, "maximum": WAIT_MAX}},
            {"name": "limit", "in": "query", "required": False,
             "description": "items per page (1..%d, default 50)" % LIMIT_MAX,
             "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX}},
            {"name": "after", "in": "query", "required": False,
             "description": "the nextCursor of the previous page",
             "schema": {"type": "string", "pattern": "^[a-z]+$"}},
            {"name": "from", "in": "query", "required": False,
             "description": "only this organisation's items (found through the agent's index by "
                            "sender, so a flood from another does not hide them); answered at "
                            "once, without waiting",
             "schema": ORG}],
        scope="inbox")},
    "/inbox/{messageId}": {"delete": op(
        "acknowledgeInboxItem", "inbox",
        "Acknowledge an item: the agent deletes (and wipes) it",
        {"204": ok("acknowledged"), "404": problem("no unacknowledged item with that id")},
        params=[path_param("messageId", "the item's messageId", HEX32)], scope="inbox")},
    "/consents": {
        "post": op("createConsent", "consents", "Register a consent at the broker",
                   {"201": ok("registered", "Consent",
                              {"Location": {"description": "the consent",
                                            "schema": {"type": "string"}}}),
                    "422": problem("refused by the broker")},
                   body="NewConsent", scope="consent"),
        "get": op("listConsents", "consents",
                  "The consents this organisation registered, a page at a time",
                  {"200": ok("a page of the consents", "ConsentList")},
                  params=[dict(LIMIT_PARAM, description="items per page (1..%d, default %d)"
                               % (CONSENT_PAGE_MAX, CONSENT_PAGE_MAX),
                               schema={"type": "integer", "minimum": 1,
                                       "maximum": CONSENT_PAGE_MAX}),
                          dict(AFTER_PARAM, schema=CONSENT_ID)], scope="consent")},
    "/consents/_search": {"post": op(
        "searchConsents", "consents",
        "The consents about one subject (the citizen number goes in the body, never in a URL)",
        {"200": ok("a page of the subject's consents", "ConsentList")}, body="ConsentSearch",
        scope="consent")},
    "/consents/{consentId}": {"delete": op(
        "withdrawConsent", "consents", "Withdraw a consent",
        {"200": ok("withdrawn", "Consent"), "404": problem("no such consent"),
         "422": problem("refused by the broker (e.g. registered by another organisation)")},
        params=[path_param("consentId", "the consent's id",
                           {"type": "string", "minLength": 1, "maxLength": 64})],
        scope="consent")},
    "/signals": {
        "post": op("createSignal", "signals",
                   "Register a signal: we are involved with this youth and concerned (no content). "
                   "The agent pseudonymises the citizen numbers; the broker matches it",
                   {"201": ok("registered", "Signal"),
                    "422": problem("refused by the broker's rules (signal-sector-not-allowed, "
                                   "informed-parties-wrong, youth-too-old, signal-date-invalid, "
                                   "too-many-signals, match-too-large) or a category not in the "
                                   "signed vocabulary (unknown-term)"),
                    "503": problem("the broker is not reachable (signals live there) or did not "
                                   "answer in time; Retry-After")},
                   body="NewSignal", scope="signal"),
        "get": op("listSignals", "signals", "Our own signals, with their local cases",
                  {"200": ok("a page of our signals", "SignalList")},
                  params=[LIMIT_PARAM, dict(AFTER_PARAM, schema=SIGNAL_ID)], scope="signal")},
    "/signals/_search": {"post": op(
        "searchSignals", "signals",
        "Our signals on one youth (the citizen number goes in the body, never in a URL)",
        {"200": ok("a page of our signals on the youth", "SignalList")},
        body="SignalSearch", scope="signal")},
    "/signals/{signalId}": {"delete": op(
        "withdrawSignal", "signals",
        "Withdraw one of our signals: it leaves its match, which may split",
        {"200": ok("withdrawn", "Signal"),
         "404": problem("no signal of ours with that id (signal-unknown)")},
        params=[path_param("signalId", "the signal's id", SIGNAL_ID)], scope="signal")},
    "/matches": {"get": op(
        "listMatches", "matches",
        "The matches our signals are in: the other organisations, the coordinator, our cases",
        {"200": ok("a page of matches", "MatchList")},
        params=[LIMIT_PARAM, dict(AFTER_PARAM, schema=MATCH_ID)], scope="signal")},
    "/matches/{matchId}": {"get": op(
        "getMatch", "matches", "One match, with the contact cards the others sent us",
        {"200": ok("the match", "Match"),
         "404": problem("no match we take part in has that id (not-in-match)")},
        params=[path_param("matchId", "the match's id", MATCH_ID)], scope="signal")},
    "/matches/{matchId}/coordination": {"post": op(
        "coordinateMatch", "matches",
        "Coordination: hand over (only the coordinator), accept a handover (only the proposed "
        "one), or mark the match afgestemd",
        {"200": ok("the match as it now stands", "Match"),
         "422": problem("refused by the covenant rules: not-coordinator, not-in-match, "
                        "may-not-coordinate, no-handover-offered")},
        params=[path_param("matchId", "the match's id", MATCH_ID)],
        body="Coordination", scope="signal")},
    "/vocabulary": {"get": op(
        "getVocabulary", "signals",
        "The broker's signed vocabulary: the signal categories and the Meldcode terms",
        {"200": ok("the vocabulary the agent holds", "Vocabulary")})},
    "/policy": {"get": op(
        "getPolicy", "directory",
        "What we may send: the legal bases our sector may use, to which organisations, with "
        "which justification fields (the broker enforces the same rules on every notification)",
        {"200": ok("the bases", "Policy"),
         "503": problem("the broker is not reachable (the policy lives there); Retry-After")})},
    "/webhooks": {
        "post": op("createWebhook", "webhooks",
                   "Register a URL for notified pull: the agent POSTs a signed WebhookNotice "
                   "when notifications arrive, retrying with backoff",
                   {"201": ok("registered; the answer holds the secret, only this once",
                              "Webhook", {"Location": {"description": "the webhook",
                                                       "schema": {"type": "string"}}}),
                    "422": problem("too many webhooks")},
                   body="NewWebhook", scope="inbox"),
        "get": op("listWebhooks", "webhooks", "The registered webhooks (without secrets)",
                  {"200": ok("the webhooks", "WebhookList")}, scope="inbox")},
    "/webhooks/{webhookId}": {"delete": op(
        "deleteWebhook", "webhooks", "Stop notifying a URL",
        {"204": ok("deleted"), "404": problem("no such webhook")},
        params=[path_param("webhookId", "the webhook's id", HEX32)], scope="inbox")},
}

DOC = {
    "openapi": "3.0.3",
    "info": {
        "title": "vangnet agent API",
        "version": VERSION,
        "description":
            "The HTTP/JSON API of a vangnet agent, for an agency's own IT systems: send "
            "notifications sealed end to end, receive them (long-poll or notified pull), "
            "acknowledge them, register consents, register signals and follow the matches and "
            "coordination of the youths they are about. Follows the NL API Design Rules. Errors are "
            "application/problem+json (RFC 9457) with vangnet's stable code and the reason in "
            "English and Dutch. Times are RFC 3339 UTC. A citizen number (BSN) never appears in a "
            "URL. Content is base64 with its media type; the one size limit is %d bytes of "
            "content per notification (also GET /v1/status maxContentBytes). Authenticate with "
            "Authorization: Bearer TOKEN (vangnet api-client add NAME --scopes ...)." % MAX_CONTENT,
        "contact": {"name": "vangnet maintainers", "email": "vangnet@example.org",
                    "url": "https://example.org/vangnet"},
        "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/en/"},
    },
    "servers": [{"url": "https://localhost:8443/v1",
                 "description": "the agent's [http_api] listen address, with /v1"}],
    "tags": [{"name": n} for n in
             ["meta", "directory", "notifications", "inbox", "consents", "signals", "matches",
              "webhooks"]],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "an API client's token"}},
    },
}


def main():
    text = json.dumps(DOC, indent=1, sort_keys=False)
    with open(sys.argv[1], "w") as f:
        f.write(text + "\n")
    data = text.encode()
    with open(sys.argv[2], "w") as f:
        f.write("/* openapi.c -- generated by agent/openapi.py: the OpenAPI document. */\n")
        f.write("extern const char vn_openapi_json[];\n")
        f.write("const char vn_openapi_json[] = {\n")
        for i in range(0, len(data), 16):
            f.write("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
        f.write("    0x00};\n")


if __name__ == "__main__":
    main()
