"""Importers: real exports (ServiceNow, ticket tables, event logs, call-by-call logs) onto servsim's canonical
tickets and events, every dropped or repaired row counted (quality)."""
