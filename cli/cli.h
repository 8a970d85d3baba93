/* cli.h -- the vangnet command-line tool's subcommands and shared exit codes. */
#ifndef VN_CLI_H
#define VN_CLI_H

#include <stddef.h>
#include <stdint.h>

enum {
    CLI_OK = 0,
    CLI_FAIL = 1,     /* the operation failed (I/O, storage, unreachable agent) */
    CLI_USAGE = 2,    /* bad command line */
    CLI_REFUSED = 3,  /* the broker refused the disclosure */
    CLI_PENDING = 4,  /* queued durably at the agent, no broker receipt yet */
    CLI_REJECTED = 5, /* the agent rejected the request (invalid input, unknown id, conflict) */
    CLI_UNAUTHENTICATED = 6, /* the agent's local API did not accept this caller */
};
/* The one table of these codes is docs/exit-codes.md (and `vangnet --help`). */

/* Print a command's usage (all commands for NULL) to stdout; CLI_OK, or CLI_USAGE if unknown. */
int cli_help(const char *command);
/* --token-file of an agent command, else the VANGNET_TOKEN_FILE environment variable */
extern const char *cli_token_file;
int cli_outcome(int argc, char **argv);
int cli_api_client(int argc, char **argv);

int cli_keygen(int argc, char **argv);
int cli_org(int argc, char **argv);
int cli_send(int argc, char **argv);
int cli_inbox(int argc, char **argv);
int cli_ack(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_consent(int argc, char **argv);
int cli_policy(int argc, char **argv);
int cli_broker(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_api_client(int argc, char **argv);
int cli_signal(int argc, char **argv);
int cli_match(int argc, char **argv);
int cli_vocab(int argc, char **argv);

struct vn_client;
/* A client for the agent at endpoint, or NULL (having said why). */
struct vn_client *cli_connect(const char *endpoint);
/* Report the client's last error as "what: code: message"; returns the exit code: CLI_USAGE when
 * the agent or broker said the input was wrong (invalid-*, unknown-*, consent-*...), else CLI_FAIL. */
int cli_client_fail(struct vn_client *c, const char *what);
/* Parse YYYY-MM-DD (UTC midnight) into unix seconds; 0 on error. */
uint64_t cli_date(const char *s);
/* Split "a,b,c" in place into at most max items; returns how many. */
size_t cli_split(char *list, const char **out, size_t max);

/* cli_audit.c / cli_audit_report.c */
struct json_object;
struct Vn__AuditRecord;
struct json_object *cli_audit_json(const struct Vn__AuditRecord *r);
int cli_audit_report(int argc, char **argv);
/* cli_audit_mine.c: `audit mine`, the agency privacy officer's delegated query */
int cli_audit_mine(int argc, char **argv);
/* cli_http.c: GET url with a curl easy handle (CURL *) over the given protocols ("http" or
 * "http,https"): NULL with *body (NUL-terminated, caller frees) and *len on a 200 answer of at most
 * max bytes, else why it failed (a static string). */
const char *cli_http_get(void *curl, const char *url, const char *protocols, long timeout_s,
                         size_t max, char **body, size_t *len);
/* cli_witness.c: witness --url PREFIX --vkey VKEY --state FILE: an outside supervisor */
int cli_witness(int argc, char **argv);
/* cli_audit_fhir.c: audit export --format fhir (FHIR R4 AuditEvent ndjson) */
int cli_audit_export(int argc, char **argv);
/* Append who read the audit log, with which command and filter (NEN 7513: access is logged). */
void cli_audit_log_access(const char *data, const char *command, const char *filter,
                          const unsigned char *subject);

/* cli_signal.c: a match or contact card as `inbox` and `match` print them */
#include "vangnet/client.h"
#include "vn_api_json.h"
struct json_object *cli_match_json(const vn_client_match_t *m, int with_local);
vn_json_card_t cli_card_view(const vn_client_card_t *c);
vn_json_case_t cli_case_view(const vn_client_case_t *c);
void cli_match_print(const char *indent, const vn_client_match_t *m);
void cli_card_print(const char *indent, const vn_client_card_t *c);

/* cli_status.c: print a /status object (broker or agent); CLI_FAIL when it warns */
int cli_status_print(struct json_object *o, int json);
int cli_status_url(int argc, char **argv);

/* cli_escape.c: print len bytes from a sender with control characters escaped (\x1b), each new
 * line starting with indent; a CSV cell (quoted as needed, formulas defused with a leading ') */
#include <stdio.h>
void cli_print_escaped(FILE *out, const void *data, size_t len, const char *indent);
void cli_print_escaped_str(FILE *out, const char *s);
void cli_csv_field(FILE *out, const char *s, int last);
/* Create path for a report: 0600, never over an existing file or through a symlink. NULL (having
 * said why) on failure. */
FILE *cli_create_report(const char *path);

/* Print "vangnet: " + message to stderr and return code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
