/* fuzz_ingest_replay.c — runs an ingest fuzz target over corpus files without libFuzzer.
 *
 * Linked with one fuzz_ingest_<parser>.c; every argument is a file or a directory of files, and
 * each file is one input. This is how the seed corpus and every crash input ever found run as a
 * regression test in every build (ctest label "fuzz").
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_run_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        return 1;
    }
    fseek(file, 0, SEEK_END);
    long len = ftell(file);
    rewind(file);
    uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
    size_t got = data ? fread(data, 1, (size_t)(len > 0 ? len : 0), file) : 0;
    fclose(file);
    if (!data || got != (size_t)(len > 0 ? len : 0)) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(data);
        return 1;
    }
    LLVMFuzzerTestOneInput(data, got);
    free(data);
    return 0;
}

static int s_run(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return s_run_file(path);
    }
    DIR *dir = opendir(path);
    if (!dir)
        return 1;
    int failures = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        failures += s_run(child, count);
    }
    closedir(dir);
    return failures;
}

int main(int argc, char **argv)
{
    int failures = 0, count = 0;
    for (int i = 1; i < argc; i++)
        failures += s_run(argv[i], &count);
    printf("%d inputs, %d unreadable\n", count, failures);
    return failures || count == 0 ? 1 : 0;
}
