"""Per-learner deletion: erase a learner in every service, leave a tombstone and a certificate."""
