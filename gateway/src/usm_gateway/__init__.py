"""USM API gateway: the one public entry."""

SERVICE_NAME = "gateway"
