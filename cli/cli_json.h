/* cli_json.h -- `--json` output of the agency verbs in the HTTP API's shapes (cli_json.c). */
#ifndef VN_CLI_JSON_H
#define VN_CLI_JSON_H

#include "vangnet/client.h"

struct json_object;
void cli_json_print(struct json_object *o); /* prints to stdout and frees */
struct json_object *cli_json_result(const vn_client_result_t *r, const char *client_ref);
struct json_object *cli_json_consent(const vn_client_consent_record_t *c);
struct json_object *cli_json_status(const vn_client_status_t *s);
struct json_object *cli_json_ack(const char *message_id);

#endif
