"""X-Ray centralized sampling: rules and per-client reservoir quotas, as the X-Ray API serves them."""
