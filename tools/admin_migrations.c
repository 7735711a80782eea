/* admin_migrations.c — which schema migrations exist, in what order, and which to apply.
 *
 * The SQL files of deploy/migrations/ are compiled into wf-admin (see embed_migrations.cmake),
 * so the binary migrates from any directory. Here they are ordered by the number in their name
 * and checksummed (CRC-64 of the exact bytes, as Flyway records a CRC-32), and compared with
 * what schema_migrations says was applied. The database glue (admin_service.c) only executes
 * the decision made here.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>

#include <wf/err.h>

#include "admin.h"

void admin_migration_checksum(const char *sql, size_t length, char *out, size_t outlen)
{
    uint64_t crc = lzma_crc64((const uint8_t *)sql, length, 0);
    snprintf(out, outlen, "crc64:%016" PRIx64, crc);
}

int admin_migration_parse_name(const char *file, int *version, char *name, size_t namelen)
{
    /* NNNN_name.sql: four digits, an underscore, a name of [a-z0-9_], ".sql" */
    size_t len = strlen(file);
    if (len < 10 || strcmp(file + len - 4, ".sql") != 0 || file[4] != '_')
        return WF_EINVAL;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)file[i]))
            return WF_EINVAL;
    size_t name_len = len - 9;
    for (size_t i = 5; i < len - 4; i++)
        if (!(islower((unsigned char)file[i]) || isdigit((unsigned char)file[i]) || file[i] == '_'))
            return WF_EINVAL;
    if (name_len + 1 > namelen)
        return WF_ERANGE;
    *version = atoi(file);
    if (*version == 0)
        return WF_EINVAL;
    memcpy(name, file + 5, name_len);
    name[name_len] = '\0';
    return WF_OK;
}

static int s_by_version(const void *a, const void *b)
{
    const admin_migration_t *ma = a, *mb = b;
    return (ma->version > mb->version) - (ma->version < mb->version);
}

int admin_migrations_plan(const admin_migration_src_t *src, size_t n, admin_migration_t *out,
                          char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        admin_migration_t *m = &out[i];
        memset(m, 0, sizeof *m);
        if (admin_migration_parse_name(src[i].file, &m->version, m->name, sizeof m->name)) {
            admin_errorf(errbuf, errlen,
                         "deploy/migrations/%s: name must be NNNN_name.sql (NNNN > 0, name of "
                         "a-z, 0-9 and _)",
                         src[i].file);
            return WF_EINVAL;
        }
        m->file = src[i].file;
        m->sql = src[i].sql;
        m->length = src[i].length;
        admin_migration_checksum(m->sql, m->length, m->checksum, sizeof m->checksum);
    }
    qsort(out, n, sizeof *out, s_by_version);
    for (size_t i = 1; i < n; i++) {
        if (out[i].version == out[i - 1].version) {
            admin_errorf(errbuf, errlen, "deploy/migrations/%s and %s share version %04d",
                         out[i - 1].file, out[i].file, out[i].version);
            return WF_EINVAL;
        }
    }
    return WF_OK;
}

int admin_migration_line(const char *sql, size_t length, long position)
{
    int line = 1;
    long chars = 0;
    for (size_t i = 0; i < length; i++) {
        /* continuation bytes 10xxxxxx do not start a character */
        if (((unsigned char)sql[i] & 0xc0) == 0x80)
            continue;
        if (++chars == position)
            return line;
        line += sql[i] == '\n';
    }
    return 0;
}

static const admin_applied_t *s_find_applied(const admin_applied_t *applied, size_t napplied,
                                             int version)
{
    for (size_t i = 0; i < napplied; i++)
        if (applied[i].version == version)
            return &applied[i];
    return NULL;
}

int admin_migrations_pending(const admin_migration_t *plan, size_t n,
                             const admin_applied_t *applied, size_t napplied, bool *pending,
                             size_t *unknown, char *errbuf, size_t errlen)
{
    int newest_applied = 0;
    for (size_t i = 0; i < napplied; i++)
        if (applied[i].version > newest_applied)
            newest_applied = applied[i].version;
    size_t known = 0;
    for (size_t i = 0; i < n; i++) {
        const admin_applied_t *done = s_find_applied(applied, napplied, plan[i].version);
        pending[i] = done == NULL;
        if (done) {
            known++;
            if (!done->checksum || strcmp(done->checksum, plan[i].checksum) != 0) {
                admin_errorf(errbuf, errlen,
                             "deploy/migrations/%s was changed after it was applied (checksum "
                             "%s in the database, %s now): add a new migration instead",
                             plan[i].file, done->checksum ? done->checksum : "none",
                             plan[i].checksum);
                return WF_EINVAL;
            }
        } else if (plan[i].version < newest_applied) {
            admin_errorf(errbuf, errlen,
                         "deploy/migrations/%s is older than migration %04d, which is already "
                         "applied: renumber it after %04d",
                         plan[i].file, newest_applied, newest_applied);
            return WF_EINVAL;
        }
    }
    *unknown = napplied - known;
    return WF_OK;
}
