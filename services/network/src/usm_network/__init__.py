"""USM network service: member cities, knowledge exchange, city-to-city sync."""

SERVICE_NAME = "network"
