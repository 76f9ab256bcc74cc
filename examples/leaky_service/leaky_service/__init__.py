"""A toy monitoring service with the memory leaks of the seed audits."""
