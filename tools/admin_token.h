/* admin_token.h — `wf-admin token create|list|revoke`: the console's bearer tokens. */
#ifndef WF_ADMIN_TOKEN_H
#define WF_ADMIN_TOKEN_H
#include <wf/config.h>

/* argv[0] is "token"; returns the exit status (0 done, 1 failed, 2 bad command line). */
int admin_token_main(const wf_config_t *config, int argc, char **argv);

#endif
