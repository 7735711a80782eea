/* console_workflow.h — the alert workflow's moves (docs/console-api.md, "Alert workflow").
 * Pure: the glue (console_api_workflow.c) locks the row, asks here, and stores the move.
 */
#ifndef WF_CONSOLE_WORKFLOW_H
#define WF_CONSOLE_WORKFLOW_H
#include <stdbool.h>

/* Is action one of acknowledge, assign, close, reopen? */
bool console_workflow_is_action(const char *action);

/* The state action leads to from state from, or NULL when the workflow does not allow that
 * move (new → acknowledged | assigned | closed; acknowledged → assigned | closed;
 * assigned → assigned | closed; closed → new). */
const char *console_workflow_next_state(const char *action, const char *from);

#endif
