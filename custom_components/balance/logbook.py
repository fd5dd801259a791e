"""Logbook: what load management did to a load and why (see load_management/logbook.py)."""

from .load_management.logbook import async_describe_events

__all__ = ["async_describe_events"]
