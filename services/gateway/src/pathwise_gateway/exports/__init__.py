"""Per-learner exports (the right to inspect, docs/privacy.md): a background job that gathers a
learner's rows from every service (each by its learner data map), their files and the access log
into one zip kept in the gateway's file store."""
