"""Alerts: telling people (bell, command, webhook) when a feed's condition changes.

The router turns engine events into alerts; each alert channel delivers from its own
bounded outbox, so a slow receiver delays nobody else. No Textual import here.
"""
