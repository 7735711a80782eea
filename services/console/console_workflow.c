/* console_workflow.c — the alert workflow's moves (see console_workflow.h). */
#include <stddef.h>
#include <string.h>

#include "console_workflow.h"

static const struct {
    const char *action;
    const char *to;
    const char *from[4]; /* the states the action may start from, NULL-terminated */
} s_moves[] = {
    {"acknowledge", "acknowledged", {"new", NULL}},
    {"assign", "assigned", {"new", "acknowledged", "assigned", NULL}}, /* assigned: reassign */
    {"close", "closed", {"new", "acknowledged", "assigned", NULL}},
    {"reopen", "new", {"closed", NULL}},
};

bool console_workflow_is_action(const char *action)
{
    for (size_t i = 0; i < sizeof s_moves / sizeof *s_moves; i++)
        if (strcmp(s_moves[i].action, action) == 0)
            return true;
    return false;
}

const char *console_workflow_next_state(const char *action, const char *from)
{
    for (size_t i = 0; i < sizeof s_moves / sizeof *s_moves; i++) {
        if (strcmp(s_moves[i].action, action) != 0)
            continue;
        for (size_t j = 0; s_moves[i].from[j]; j++)
            if (strcmp(s_moves[i].from[j], from) == 0)
                return s_moves[i].to;
        return NULL;
    }
    return NULL;
}
