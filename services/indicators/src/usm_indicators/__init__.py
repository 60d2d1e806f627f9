"""USM indicators service: geography, report-derived counts and (later) indicators."""

SERVICE_NAME = "indicators"
