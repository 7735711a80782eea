/* enrich_nibrs.h — NIBRS classification of an event from the reference tables.
 *
 * Two ways lead from an event to a NIBRS offense: the agency's own offense code, when the
 * department's code table maps it (nibrs_agency_codes), and otherwise the event's Watchfloor
 * kind through our crosswalk (nibrs_kind_map, data/reference/watchfloor_kind_nibrs.csv). The
 * offense's name, category and crime-against come from the FBI table (nibrs_offense_types).
 * A kind the crosswalk maps to nothing (other) or does not know gives no classification.
 * Pure: the glue reads the tables from PostGIS and hands the rows to enrich_nibrs_add_*.
 *
 * Thread: an enrich_nibrs_t is filled, built, then only read; reads from several threads are
 * safe once built.
 */
#ifndef ENRICH_NIBRS_H
#define ENRICH_NIBRS_H

#include <stddef.h>

/* One NIBRS offense, as the FBI table describes it. */
typedef struct {
    char *code;          /* "220" */
    char *name;          /* "Burglary/Breaking & Entering" */
    char *category;      /* "Burglary/Breaking & Entering" (OFFENSE_CATEGORY_NAME) */
    char *crime_against; /* "Property" */
} enrich_nibrs_offense_t;

/* Which table gave the classification. */
typedef enum {
    ENRICH_NIBRS_NONE,        /* no classification */
    ENRICH_NIBRS_AGENCY_CODE, /* the agency's offense code (nibrs_agency_codes) */
    ENRICH_NIBRS_KIND,        /* the Watchfloor kind (nibrs_kind_map) */
} enrich_nibrs_basis_t;

typedef struct enrich_nibrs_t enrich_nibrs_t;

/* An empty table set; NULL when out of memory. */
enrich_nibrs_t *enrich_nibrs_new(void);

/* Frees everything, sets *self_p to NULL. NULL-safe. */
void enrich_nibrs_destroy(enrich_nibrs_t **self_p);

/* Adds one FBI offense (strings are copied). Returns 0, WF_EINVAL for an empty code or
 * WF_ENOMEM. */
int enrich_nibrs_add_offense(enrich_nibrs_t *self, const char *code, const char *name,
                             const char *category, const char *crime_against);

/* Maps a kind to a NIBRS code; NULL or "" records that the kind has no NIBRS equivalent.
 * Returns 0, WF_EINVAL for an empty kind or WF_ENOMEM. */
int enrich_nibrs_add_kind(enrich_nibrs_t *self, const char *kind, const char *nibrs_code);

/* Maps an agency's offense code to a NIBRS code. Returns 0, WF_EINVAL or WF_ENOMEM. */
int enrich_nibrs_add_agency_code(enrich_nibrs_t *self, const char *agency, const char *offense_code,
                                 const char *nibrs_code);

/* Sorts the tables for lookup; call once after adding. A kind or agency code naming an offense
 * the FBI table lacks, or a key added twice, is WF_EINVAL with the reason in errbuf. */
int enrich_nibrs_build(enrich_nibrs_t *self, char *errbuf, size_t errlen);

/* Rows added: offenses, kinds, agency codes. */
size_t enrich_nibrs_offense_count(const enrich_nibrs_t *self);
size_t enrich_nibrs_kind_count(const enrich_nibrs_t *self);
size_t enrich_nibrs_agency_code_count(const enrich_nibrs_t *self);

/* Classifies an event: the agency code first, then the kind, then the kind's parent
 * ("burglary" for "burglary.residential") when the kind itself is not in the crosswalk. Any
 * argument may be NULL. Returns the offense (borrowed from self) or NULL, and the basis in
 * *basis when basis is not NULL. */
const enrich_nibrs_offense_t *enrich_nibrs_classify(const enrich_nibrs_t *self, const char *agency,
                                                    const char *offense_code, const char *kind,
                                                    enrich_nibrs_basis_t *basis);

#endif
