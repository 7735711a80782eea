/* admin_service.h — wf-admin's commands that talk to PostGIS.
 *
 * Each command connects with pg.conninfo, does its work with parameterised SQL and prints a
 * short account on stdout; failures are logged once, here, and turned into the exit status.
 * Exit status: 0 done, 1 failed (database, data), 2 bad command line.
 */
#ifndef WF_ADMIN_SERVICE_H
#define WF_ADMIN_SERVICE_H

#include <stdio.h>

#include <libpq-fe.h>

#include <wf/config.h>

#include "admin.h"

/* Opens a connection with the configuration's pg.conninfo; NULL with a reason in errbuf. */
PGconn *admin_pg_connect(const wf_config_t *config, char *errbuf, size_t errlen);

/* Writes a failed result's message ("primary: detail (hint)") into errbuf. */
void admin_pg_error(PGconn *pg, const PGresult *result, char *errbuf, size_t errlen);

/* Runs one statement with text parameters (never SQL built from values). On failure writes
 * "context: message" into errbuf and returns WF_EIO. *result_p (when not NULL) receives the
 * result, which the caller clears with PQclear. */
int admin_pg_query(PGconn *pg, const char *context, const char *sql, int nparams,
                   const char *const *params, PGresult **result_p, char *errbuf, size_t errlen);

/* `wf-admin migrate`: applies the embedded migrations not yet applied, each in its own
 * transaction, under an advisory lock. Returns 0, or WF_EIO/WF_EINVAL with errbuf set. */
int admin_migrate(PGconn *pg, FILE *out, char *errbuf, size_t errlen);

/* `wf-admin load-boundaries`: replaces args->layer of args->boundary_set with the features,
 * merged by code, in one transaction. Returns 0, or WF_EIO/WF_EINVAL with errbuf set. */
int admin_boundaries_load(PGconn *pg, const admin_load_args_t *args,
                          const admin_features_t *features, FILE *out, char *errbuf, size_t errlen);

/* `wf-admin geofence import`: inserts or replaces the geofences of the features (merged by
 * name; args->agency on each) in one transaction. Returns 0, or WF_EIO/WF_EINVAL with errbuf. */
int admin_geofences_import(PGconn *pg, const admin_geofence_args_t *args,
                           const admin_features_t *features, FILE *out, char *errbuf,
                           size_t errlen);

/* `wf-admin geofence list`: one line per geofence (name, agency, area, parts, created).
 * Returns 0 or WF_EIO/WF_EINVAL. */
int admin_geofences_list(PGconn *pg, FILE *out, char *errbuf, size_t errlen);

/* `wf-admin geofence remove NAME`. Returns 0, WF_ENOTFOUND (no such geofence) or WF_EIO. */
int admin_geofences_remove(PGconn *pg, const char *name, FILE *out, char *errbuf, size_t errlen);

/* `wf-admin dead-letters`: lists the newest dead letters. Returns 0 or WF_EIO. */
int admin_dead_letters_list(PGconn *pg, const admin_deadletter_args_t *args, FILE *out,
                            char *errbuf, size_t errlen);

/* `wf-admin nibrs load`: upserts the FBI offense table and replaces the kind crosswalk, in one
 * transaction (both files checked before). Returns 0, or WF_EIO/WF_EINVAL with errbuf set. */
int admin_nibrs_load(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                     size_t errlen);

/* `wf-admin nibrs agency-codes AGENCY FILE`: replaces the agency's offense code → NIBRS table in
 * one transaction. Returns 0, or WF_EIO/WF_EINVAL with errbuf set. */
int admin_nibrs_agency_codes(PGconn *pg, const admin_reference_args_t *args, FILE *out,
                             char *errbuf, size_t errlen);

/* `wf-admin hotlist import|list|remove` (admin_service_hotlist.c). Returns 0, or
 * WF_EIO/WF_EINVAL/WF_ENOTFOUND (remove found nothing) with errbuf set. */
int admin_hotlist_run(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                      size_t errlen);

#endif
