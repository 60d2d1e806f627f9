"""USM developer tooling: the embedded stack, the `usm` command and the pytest plugin."""
