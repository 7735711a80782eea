# alert unit tests: one cmocka executable per module of alert_core.
wf_add_unit_test(alert rules LIBS alert_core)
wf_add_unit_test(alert match LIBS alert_core)
wf_add_unit_test(alert throttle LIBS alert_core)
wf_add_unit_test(alert engine LIBS alert_core)
wf_add_unit_test(alert cap LIBS alert_core)
wf_add_unit_test(alert webhook_body LIBS alert_core)
