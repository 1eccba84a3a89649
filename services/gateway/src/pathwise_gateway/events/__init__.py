"""Events at the gateway: ingest from the services' outbox relays, the event store, fan-out to
internal subscribers and webhook endpoints, the delivery dispatcher, and the event catalog."""

__all__: list[str] = []
