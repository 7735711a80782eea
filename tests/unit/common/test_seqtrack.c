/* test_seqtrack.c — sequence verdicts and checkpoints (how loss becomes visible). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <wf/err.h>

#include "transport_seq.h"

static void test_verdicts(void **state)
{
    (void)state;
    wf_seqtrack_t *t = wf_seqtrack_new();
    uint64_t missing;
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:1", "a", 5, 0, &missing), WF_SEQ_FIRST);
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:1", "a", 6, 0, &missing), WF_SEQ_NEXT);
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:1", "a", 10, 0, &missing), WF_SEQ_GAP);
    assert_int_equal(missing, 3);
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:1", "a", 9, 0, &missing), WF_SEQ_DUPLICATE);
    assert_int_equal(wf_seqtrack_last(t, "ingest@h:1", "a"), 10);
    /* topics and producers are independent */
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:1", "b", 1, 0, &missing), WF_SEQ_FIRST);
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:2", "a", 1, 0, &missing), WF_SEQ_FIRST);
    assert_int_equal(wf_seqtrack_observe(t, "ingest@h:1", "a", 11, 0, &missing), WF_SEQ_NEXT);
    assert_int_equal(wf_seqtrack_size(t), 3);
    wf_seqtrack_destroy(&t);
    assert_null(t);
}

/* Only acknowledged numbers survive a restart; what was received but not acknowledged shows up
 * as a gap afterwards. */
static void test_checkpoint_restores_acknowledged_positions(void **state)
{
    (void)state;
    char path[] = "/tmp/wf-test-seq-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    wf_seqtrack_t *t = wf_seqtrack_new();
    uint64_t missing;
    wf_seqtrack_observe(t, "old@h:1", "events.enriched", 3, 1, &missing);
    for (uint64_t s = 1; s <= 20; s++)
        wf_seqtrack_observe(t, "enrich@h:7", "events.enriched", s, 1000, &missing);
    wf_seqtrack_ack(t);
    for (uint64_t s = 21; s <= 50; s++) /* received, never acknowledged */
        wf_seqtrack_observe(t, "enrich@h:7", "events.enriched", s, 1000, &missing);
    /* "old" was last seen long before the save and is pruned */
    assert_int_equal(wf_seqtrack_save(t, path, 1000 + 10, 500), WF_OK);
    wf_seqtrack_destroy(&t);

    t = wf_seqtrack_new();
    assert_int_equal(wf_seqtrack_load(t, path), WF_OK);
    assert_int_equal(wf_seqtrack_size(t), 1);
    assert_int_equal(wf_seqtrack_last(t, "enrich@h:7", "events.enriched"), 20);
    /* after the restart the producer's next message is 51: 30 were lost with the process */
    assert_int_equal(wf_seqtrack_observe(t, "enrich@h:7", "events.enriched", 51, 2000, &missing),
                     WF_SEQ_GAP);
    assert_int_equal(missing, 30);
    wf_seqtrack_destroy(&t);

    FILE *f = fopen(path, "w");
    fputs("garbage line\n", f);
    fclose(f);
    t = wf_seqtrack_new();
    assert_int_equal(wf_seqtrack_load(t, path), WF_EPARSE);
    wf_seqtrack_destroy(&t);
    remove(path);
    t = wf_seqtrack_new();
    assert_int_equal(wf_seqtrack_load(t, path), WF_OK); /* missing file: empty checkpoint */
    wf_seqtrack_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_checkpoint_restores_acknowledged_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
