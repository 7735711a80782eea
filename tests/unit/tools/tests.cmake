# wf-admin's pure parts (tools/admin_core): command lines, migration plan, GeoJSON boundaries.
wf_add_unit_test(tools args LIBS admin_core)
wf_add_unit_test(tools migrations LIBS admin_core)
wf_add_unit_test(tools geojson LIBS admin_core)
