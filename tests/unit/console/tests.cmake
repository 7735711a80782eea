# console unit tests: the stream hub and where a (re)connecting client starts.
wf_add_unit_test(console hub LIBS console_core)
