/* fuzz_ingest_csv.c — fuzz target: a CSV file through the Chicago portal-export profile
 * (framing, libcsv strict parsing, header binding, mapping). Seeds: corpus/ingest_csv/,
 * dictionary: ingest_csv.dict. */
#include "fuzz_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_ingest_run("chicago-portal-export.yaml", data, size);
}
