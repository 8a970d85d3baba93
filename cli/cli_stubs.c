/* temporary: commands not built yet */
#include "cli.h"
int cli_send(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(CLI_FAIL, "not yet"); }
int cli_inbox(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(CLI_FAIL, "not yet"); }
int cli_ack(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(CLI_FAIL, "not yet"); }
int cli_status(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(CLI_FAIL, "not yet"); }
