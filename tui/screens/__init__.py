"""Screens of the dashboard; each calls the service only from thread workers."""
