"""Request and response bodies of the assessment API, one module per resource (request
bodies derive from ``pathwise_shared.inputs.StrictBody``)."""
