"""Events: CloudEvents envelope, transactional outbox and relay, consumer runner."""
