"""USM reports service: citizen reports, their districts and tracking codes."""

SERVICE_NAME = "reports"
