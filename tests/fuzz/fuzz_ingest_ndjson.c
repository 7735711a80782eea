/* fuzz_ingest_ndjson.c — fuzz target: an NDJSON file through the Chicago Socrata NDJSON
 * profile (framing, jansson decoding, path lookup, rendering, mapping). Seeds:
 * corpus/ingest_ndjson/, dictionary: ingest_ndjson.dict. */
#include "fuzz_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_ingest_run("chicago-socrata-ndjson.yaml", data, size);
}
