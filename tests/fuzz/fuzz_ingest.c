/* fuzz_ingest.c — runs fuzz input through ingest_source and checks its invariants.
 *
 * The input is written to one anonymous temporary file that is reused (truncated) for every
 * input and read back through /proc/self/fd, so the reader's real file path is exercised. The
 * record limit is small (4 KiB) so the too-long paths are reachable by a fuzzer.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_ingest.h"
#include "ingest_source.h"

#define S_MAX_RECORD 4096

static const double s_chicago[4] = {-87.95, 41.62, -87.50, 42.05};

/* Profile, mapper and scratch file are set up once per process and per profile. */
typedef struct {
    const char *name;
    ingest_profile_t *profile;
    ingest_map_t *map;
} s_setup_t;

static s_setup_t *s_setup(const char *name)
{
    static s_setup_t setups[2];
    for (size_t i = 0; i < 2; i++) {
        if (setups[i].name && strcmp(setups[i].name, name) == 0)
            return &setups[i];
        if (setups[i].name)
            continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "%s/deploy/profiles/%s", WF_SOURCE_DIR, name);
        setups[i].profile = ingest_profile_load(path, err, sizeof err);
        if (!setups[i].profile ||
            !(setups[i].map = ingest_map_new(setups[i].profile, s_chicago, err, sizeof err))) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort();
        }
        setups[i].name = name;
        return &setups[i];
    }
    abort();
}

static int s_scratch_fd(void)
{
    static int fd = -1;
    if (fd < 0) {
        FILE *file = tmpfile();
        if (!file)
            abort();
        fd = dup(fileno(file));
        fclose(file);
    }
    return fd;
}

static void s_check_item(const ingest_item_t *item)
{
    assert(item->raw_len <= S_MAX_RECORD);
    assert(item->raw_len <= item->raw_length);
    assert(item->position[0] != '\0');
    if (item->event) {
        assert(item->event->source_record_id[0] != '\0');
        assert(item->event->kind[0] != '\0');
        assert(item->event->event_id.len == 16);
        return;
    }
    assert(item->reject.code != NULL);
    assert(item->reject.message[0] != '\0');
    size_t len = strlen(item->reject.message);
    assert(ingest_utf8_valid_prefix(item->reject.message, len) == len);
    len = strlen(item->reject.field);
    assert(ingest_utf8_valid_prefix(item->reject.field, len) == len);
}

int fuzz_ingest_run(const char *profile, const uint8_t *data, size_t size)
{
    s_setup_t *setup = s_setup(profile);
    int fd = s_scratch_fd();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char path[64], err[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ingest_source_t *source =
        ingest_source_new(setup->profile, setup->map, path, S_MAX_RECORD, err, sizeof err);
    ingest_arena_t *arena = ingest_arena_new(0);
    if (!source || !arena)
        abort();
    ingest_item_t item;
    int rc;
    size_t items = 0; /* for debugging a crash input */
    /* a fixed "now" keeps runs reproducible */
    while ((rc = ingest_source_next(source, arena, INT64_C(1767225600000000), -1, &item)) == 1) {
        s_check_item(&item);
        ingest_arena_reset(arena);
        items++;
    }
    assert(rc == 0);
    (void)items;
    ingest_source_destroy(&source);
    ingest_arena_destroy(&arena);
    return 0;
}
