"""USM shared kit: the mechanics every service needs, written once."""
